"""The exported GGUF computes what the PyTorch model computes, through llama.cpp itself.

Why: a GGUF with a wrong tensor layout still loads and still writes fluent-looking tokens. The
positive checks compare llama.cpp's next-token distributions with PyTorch's on a tiny random GLM
(unit-scale weights, so every tensor matters); the negative controls export deliberately wrong
layouts — gate and up swapped, rotary pairs de-interleaved — and show ``export.check`` catches
them, so its passing means something.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import build_tiny
import chatglm_gguf
import export
import gguf
import numpy as np
import pytest
from glm import GLM
from tiny_helpers import TINY

N_POSITIONS = 100
GGML_TYPE_F32 = 0


def _ids() -> list[int]:
    import bpe

    text = (TINY / "samples.py").read_text(encoding="utf-8")
    ids = bpe.load().encode(text).ids[:N_POSITIONS]
    assert len(ids) == N_POSITIONS
    return list(ids)


def _field(reader: gguf.GGUFReader, key: str) -> object:
    field = reader.fields.get(key)
    assert field is not None, key
    return field.contents()


def test_f32_export_matches_pytorch(tiny_glm: GLM, tiny_f32: Path) -> None:
    report = export.check(tiny_glm, tiny_f32, _ids())
    assert report["positions"] == N_POSITIONS
    assert report["argmax_agree"] == 1.0
    assert report["max_abs_logprob_diff"] < 1e-4


def _swap_gate_up(tensors: dict[str, np.ndarray]) -> None:
    for name, value in tensors.items():
        if name.endswith("ffn_up.weight"):
            gate, up = np.split(value, 2, axis=0)
            tensors[name] = np.concatenate([up, gate], axis=0)


def _deinterleave_rope(model: GLM) -> Callable[[dict[str, np.ndarray]], None]:
    """Rows of q and k in NEOX order (halves) where the chatglm graph rotates adjacent pairs."""
    cfg = model.cfg
    hd, n_rot = cfg.head_dim, cfg.n_rot
    within = np.concatenate([np.arange(0, n_rot, 2), np.arange(1, n_rot, 2), np.arange(n_rot, hd)])
    n_qk_heads = cfg.n_head + cfg.n_head_kv
    n_rows = (cfg.n_head + 2 * cfg.n_head_kv) * hd
    order = np.arange(n_rows)
    for head in range(n_qk_heads):
        order[head * hd : (head + 1) * hd] = head * hd + within

    def apply(tensors: dict[str, np.ndarray]) -> None:
        for name, value in tensors.items():
            if ".attn_qkv." in name:
                tensors[name] = value[order]

    return apply


@pytest.mark.parametrize("fault", ["gate-up-swapped", "rope-deinterleaved"])
def test_check_detects_a_wrong_layout(
    tiny_glm: GLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    right = export.tensors_of
    damage = _swap_gate_up if fault == "gate-up-swapped" else _deinterleave_rope(tiny_glm)

    def wrong(model: GLM) -> dict[str, np.ndarray]:
        tensors = right(model)
        damage(tensors)
        return tensors

    monkeypatch.setattr(export, "tensors_of", wrong)
    path = tmp_path / f"{fault}.gguf"
    export.write_f32(tiny_glm, path)
    report = export.check(tiny_glm, path, _ids())
    assert report["argmax_agree"] < 0.9 and report["max_abs_logprob_diff"] > 0.5, report


def test_q8_0_keeps_the_predictions(tiny_glm: GLM, tiny_f32: Path, tmp_path: Path) -> None:
    q8 = tmp_path / "tiny-q8_0.gguf"
    chatglm_gguf.quantize(tiny_f32, q8, "Q8_0")
    assert q8.stat().st_size < tiny_f32.stat().st_size / 2
    report = export.check(tiny_glm, q8, _ids())
    assert report["argmax_agree"] >= 0.9, report
    reader = gguf.GGUFReader(str(q8))
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert kinds["blk.0.ffn_up.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert kinds["blk.0.attn_norm.weight"] == gguf.GGMLQuantizationType.F32


def test_gguf_metadata_and_control_tokens(tiny_glm: GLM, tiny_f32: Path) -> None:
    import bpe

    reader = gguf.GGUFReader(str(tiny_f32))
    cfg = tiny_glm.cfg
    assert _field(reader, "general.architecture") == "chatglm"
    assert _field(reader, "chatglm.context_length") == cfg.n_ctx
    assert _field(reader, "chatglm.rope.dimension_count") == cfg.n_rot
    assert _field(reader, "chatglm.attention.head_count_kv") == cfg.n_head_kv
    assert _field(reader, "tokenizer.ggml.model") == "gpt2"
    assert _field(reader, "tokenizer.ggml.pre") == "chatglm-bpe"
    assert _field(reader, "general.license") == "Apache-2.0"
    tokens = _field(reader, "tokenizer.ggml.tokens")
    types = _field(reader, "tokenizer.ggml.token_type")
    assert isinstance(tokens, list) and isinstance(types, list)
    tok = bpe.load()
    assert len(tokens) == tok.get_vocab_size() == cfg.n_vocab
    control = {t for t, k in zip(tokens, types, strict=True) if k == gguf.TokenType.CONTROL}
    assert control == set(bpe.SPECIAL_TOKENS)
    for i in (0, 100, 5000, tok.token_to_id("<|code_middle|>")):
        assert tokens[i] == tok.id_to_token(i)
    eos = tok.token_to_id("<|endoftext|>")
    assert _field(reader, "tokenizer.ggml.eos_token_id") == eos
    assert _field(reader, "tokenizer.ggml.eot_token_id") == tok.token_to_id("<|user|>")
    assert _field(reader, "tokenizer.ggml.add_bos_token") is False


def test_build_tiny_still_reproduces_its_pinned_bytes(tmp_path: Path) -> None:
    """The random test model's sha256 in models/tiny/README.md is what the builder writes now."""
    readme = (TINY / "README.md").read_text(encoding="utf-8")
    readme = readme[readme.index("## glm-tiny-q8_0.gguf") :]  # the random model's own section
    pinned = re.search(r"\| sha256 \| `([0-9a-f]{64})` \|", readme)
    assert pinned is not None
    f32, q8 = tmp_path / "f32.gguf", tmp_path / "q8_0.gguf"
    build_tiny.write_f32(f32)
    chatglm_gguf.quantize(f32, q8, "Q8_0")
    assert hashlib.sha256(q8.read_bytes()).hexdigest() == pinned.group(1)
    committed = hashlib.sha256(build_tiny.DEFAULT_OUT.read_bytes()).hexdigest()
    assert committed == pinned.group(1)
