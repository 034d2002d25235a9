"""GGUF header reading: metadata, tokens, and the failures users meet (missing, cut, junk)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from glm_lsp.model.gguf_info import GgufError, read_gguf_info
from glm_lsp.model.llama import default_tiny_model_path

TINY = default_tiny_model_path()


def test_reads_tiny_model_metadata() -> None:
    info = read_gguf_info(TINY)
    assert info.architecture == "chatglm"
    assert info.metadata["chatglm.block_count"] == 4
    assert info.metadata["tokenizer.ggml.pre"] == "chatglm-bpe"
    assert info.metadata["tokenizer.ggml.add_bos_token"] is False
    assert info.data_end == info.file_size == TINY.stat().st_size
    assert "token_embd.weight" in info.tensor_names
    control = info.control_tokens()
    for token in ("[gMASK]", "<sop>", "<|code_prefix|>", "<|code_suffix|>", "<|code_middle|>"):
        assert token in control
    assert "def" not in control and info.tokens is not None and len(info.tokens) > 256 + 17


def test_tokens_can_be_skipped() -> None:
    info = read_gguf_info(TINY, tokens=False)
    assert info.tokens is None
    assert info.metadata["tokenizer.ggml.tokens"] == len(read_gguf_info(TINY).tokens or [])


def _header(version: int, n_tensors: int, n_kv: int) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "too small"),
        (b"PK\x03\x04" + b"\0" * 40, "not a GGUF"),
        (_header(99, 0, 0) + b"\0" * 8, "version 99"),
        (_header(3, 0, 5) + b"\0" * 8, "truncated"),
        (_header(3, 10**9, 0) + b"\0" * 8, "implausible"),
        (
            _header(3, 0, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<I", 77) + b"\0" * 8,
            "unknown value type",
        ),
    ],
)
def test_bad_headers(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(GgufError, match=message):
        read_gguf_info(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GgufError, match="no model file"):
        read_gguf_info(tmp_path / "absent.gguf")


@pytest.mark.parametrize("keep", [0.3, 0.9, 0.999])
def test_truncated_tensor_data(tmp_path: Path, keep: float) -> None:
    data = TINY.read_bytes()
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(GgufError, match="truncated"):
        read_gguf_info(path)
