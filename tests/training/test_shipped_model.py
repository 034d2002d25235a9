"""The shipped glm-code-tiny GGUF: pinned in the catalog, the training tokenizer, trained weights.

Why these fail rather than skip when something is missing: the file is the embedded default the
server loads when nothing is configured, so a missing file, an unpinned or stale sha256 in
``glm_lsp/data/catalog.toml``, or a tokenizer that drifted from ``tokenizer.json`` must stop the
build.
``GLM_CODE_TINY=/path/to/file.gguf`` points the tests at another export while developing (the
sha256 test then fails, as it should for a file that is not the shipped one).
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import bpe
import corpus
import export
import gguf
import numpy as np
import pytest
from tiny_helpers import ROOT

from glm_lsp.model.catalog import CatalogEntry, find_entry, load_catalog

NAME = "glm-code-tiny"
CATALOG = ROOT / "glm_lsp" / "data" / "catalog.toml"
REPO_FILE = ROOT / "glm_lsp" / "data" / "models" / "glm-code-tiny-q8_0.gguf"
N_CTX = 1024


def _entry() -> CatalogEntry:
    entry = find_entry(NAME, load_catalog(CATALOG))
    assert entry is not None, f"{CATALOG} has no [[model]] named {NAME!r}"
    return entry


@pytest.fixture(scope="module")
def shipped() -> Path:
    path = Path(os.environ.get("GLM_CODE_TINY") or REPO_FILE)
    assert path.is_file(), f"{path} is missing: run python models/tiny/export.py"
    return path


def test_catalog_entry_points_at_the_repo_file() -> None:
    entry = _entry()
    assert entry.path_in(ROOT / "unused").resolve() == REPO_FILE.resolve()
    assert entry.arch == "chatglm" and entry.template == "codegeex4"
    assert entry.default, "glm-code-tiny is the embedded default"


def test_sha256_matches_the_catalog_pin(shipped: Path) -> None:
    entry = _entry()
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert entry.pinned, f"pin it: sha256 = {digest!r} for {NAME} in {CATALOG}"
    assert digest == entry.sha256, f"{shipped}: sha256 {digest}, the catalog pins {entry.sha256}"
    if entry.size:
        assert shipped.stat().st_size == entry.size


def test_gguf_metadata(shipped: Path) -> None:
    reader = gguf.GGUFReader(str(shipped))

    def field(key: str) -> object:
        found = reader.fields.get(key)
        assert found is not None, key
        return found.contents()

    assert field("general.architecture") == "chatglm"
    assert field("chatglm.context_length") == N_CTX
    assert field("general.file_type") == int(gguf.LlamaFileType.MOSTLY_Q8_0)
    assert field("tokenizer.ggml.model") == "gpt2"
    assert field("tokenizer.ggml.pre") == "chatglm-bpe"
    assert field("tokenizer.ggml.add_bos_token") is False
    tokens, types = field("tokenizer.ggml.tokens"), field("tokenizer.ggml.token_type")
    assert isinstance(tokens, list) and isinstance(types, list)
    tok = bpe.load()
    assert tokens == [tok.id_to_token(i) for i in range(tok.get_vocab_size())]
    control = [t for t, k in zip(tokens, types, strict=True) if k == gguf.TokenType.CONTROL]
    assert control == list(bpe.SPECIAL_TOKENS)
    assert field("tokenizer.ggml.eos_token_id") == tok.token_to_id("<|endoftext|>")
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert kinds["blk.0.attn_qkv.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert kinds["output_norm.weight"] == gguf.GGMLQuantizationType.F32


def test_tokenizer_agrees_with_training(shipped: Path, tokenizer_texts: tuple[str, ...]) -> None:
    assert export.tokenizer_agrees(shipped, list(tokenizer_texts)) == []


def test_weights_are_trained_on_code(shipped: Path) -> None:
    """Held-out code costs well under the nats of a uniform guess (random weights: about equal).

    A random or wrongly laid-out export scores near ``ln(n_vocab)`` (9.0 nats); the threshold is
    60% of that, far above what the training log's held-out losses reach.
    """
    tok = bpe.load()
    docs = [d for d in corpus.load(verify_hash=False) if d.split == "heldout"][:4]
    nlls = []
    for doc in docs:
        ids = tok.encode(doc.text).ids[:256]
        logits = export.llama_logits(shipped, ids)
        shifted = logits - logits.max(-1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
        nlls.append(float(-np.mean(logp[np.arange(len(ids) - 1), ids[1:]])))
    limit = 0.6 * math.log(tok.get_vocab_size())
    assert sum(nlls) / len(nlls) < limit, (nlls, limit)
