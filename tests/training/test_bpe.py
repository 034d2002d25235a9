"""The trained BPE tokenizer: GLM specials as single ids, lossless, and split as llama.cpp splits.

Why the llama.cpp comparison: the server tokenizes with llama.cpp, which rebuilds the tokenizer
from the GGUF (``gpt2`` model, ``chatglm-bpe`` pre-tokenizer). If its split of any text differed
from the ``tokenizers`` split used in training, the model would see token sequences at run time it
never saw in training. The comparison runs against a GGUF exported here with the real vocabulary.
"""

from __future__ import annotations

import json
from pathlib import Path

import bpe
import build_tiny
import chatglm_gguf
import corpus
import export
import gguf
import pytest
from glm import GLM
from tiny_helpers import TINY

from glm_lsp.model.templates import CODEGEEX4, FimRequest


def test_tokenizer_json_loads_with_the_documented_size() -> None:
    tok = bpe.load()
    assert tok.get_vocab_size() == bpe.VOCAB_SIZE + len(bpe.SPECIAL_TOKENS)
    model = json.loads(bpe.TOKENIZER_JSON.read_text(encoding="utf-8"))["model"]
    assert model["type"] == "BPE"
    assert len(model["vocab"]) == bpe.VOCAB_SIZE
    assert len(model["merges"]) == bpe.VOCAB_SIZE - 256


def test_specials_are_single_ids_after_the_bpe_tokens_in_glm_order() -> None:
    tok = bpe.load()
    n_bpe = len(json.loads(bpe.TOKENIZER_JSON.read_text(encoding="utf-8"))["model"]["vocab"])
    ids = []
    for text in bpe.SPECIAL_TOKENS:
        found = tok.token_to_id(text)
        assert found is not None, text
        assert tok.encode(text, add_special_tokens=True).ids == [found], text
        assert tok.encode(f"a{text}b", add_special_tokens=True).ids.count(found) == 1, text
        ids.append(found)
    assert ids == list(range(n_bpe, n_bpe + len(bpe.SPECIAL_TOKENS)))
    # Same order as the random-weights test model and GLM-4's vocabulary.
    assert bpe.SPECIAL_TOKENS == build_tiny.SPECIAL_TOKENS
    for name in ("<|code_prefix|>", "<|code_suffix|>", "<|code_middle|>", "<|endoftext|>"):
        assert name in bpe.SPECIAL_TOKENS


def test_codegeex4_markers_each_tokenize_once() -> None:
    tok = bpe.load()
    req = FimRequest(prefix="x = [", suffix="]\n", path="a.py", language="python", mode="LINE")
    ids = tok.encode(CODEGEEX4.render(req), add_special_tokens=True).ids
    for marker in ("[gMASK]", "<sop>", "<|user|>", "<|code_suffix|>", "<|code_prefix|>"):
        assert ids.count(tok.token_to_id(marker)) == 1, marker
    assert ids[-2:] == [tok.token_to_id("<|assistant|>"), tok.encode("\n").ids[0]]


def test_round_trip(tokenizer_texts: tuple[str, ...]) -> None:
    tok = bpe.load()
    heldout = [d.text for d in corpus.load(verify_hash=False) if d.split == "heldout"][:5]
    texts = [*tokenizer_texts, *heldout, "a\r\n\tb\u00a0c\u2028d\x0be\x0cf"]
    for text in texts:
        ids = tok.encode(text, add_special_tokens=True).ids
        assert tok.decode(ids, skip_special_tokens=False) == text, text[:80]


def test_unknown_bytes_are_still_covered() -> None:
    """Byte-level: any string, even characters never seen in training, has an encoding."""
    tok = bpe.load()
    text = "\U0001f9ec\u0fff\ue000\U00010348"
    ids = tok.encode(text).ids
    assert ids and tok.decode(ids) == text
    assert None not in [tok.id_to_token(i) for i in ids]


def test_llama_cpp_splits_exactly_as_training(
    tiny_f32: Path, tokenizer_texts: tuple[str, ...]
) -> None:
    heldout = [d.text[:2000] for d in corpus.load(verify_hash=False) if d.split == "heldout"][:8]
    texts = [*tokenizer_texts, *heldout]
    assert export.tokenizer_agrees(tiny_f32, texts) == []


def test_agreement_check_detects_another_pre_tokenizer(
    tiny_glm: GLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tokenizer_texts: tuple[str, ...]
) -> None:
    """Negative control: the same vocabulary under GPT-2's split (digit runs unbroken) differs."""
    original = gguf.GGUFWriter.add_tokenizer_pre

    def gpt2_pre(self: gguf.GGUFWriter, _pre: str) -> None:
        original(self, "gpt-2")

    monkeypatch.setattr(chatglm_gguf.gguf.GGUFWriter, "add_tokenizer_pre", gpt2_pre)
    path = tmp_path / "gpt2-pre.gguf"
    export.write_f32(tiny_glm, path)
    bad = export.tokenizer_agrees(path, list(tokenizer_texts))
    assert "x = 12345 + 6789012 - 3.14159e-10\n" in bad


def test_train_appends_specials_after_the_merges(tokenizer_texts: tuple[str, ...]) -> None:
    """``bpe.train`` itself (what made tokenizer.json), on a small text and vocabulary."""
    texts = [(TINY / "samples.py").read_text(encoding="utf-8"), *tokenizer_texts]
    tok = bpe.train(texts, vocab_size=400)
    ids = [tok.token_to_id(t) for t in bpe.SPECIAL_TOKENS]
    n_bpe = tok.get_vocab_size() - len(bpe.SPECIAL_TOKENS)
    assert 256 < n_bpe <= 400
    assert ids == list(range(n_bpe, n_bpe + len(bpe.SPECIAL_TOKENS)))
    for text in tokenizer_texts:
        assert tok.decode(tok.encode(text).ids, skip_special_tokens=False) == text
    # Merges never cross the pre-tokenizer's boundaries: "x = 1" keeps "x" and " =" apart.
    assert tok.encode("x = 1").tokens[:2] == ["x", "Ġ="]
