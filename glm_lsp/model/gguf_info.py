"""Read a GGUF file's header and metadata without loading weights.

Why: choosing a prompt template, showing ``doctor`` output and rejecting a missing, truncated or
corrupt file with a clear message must not cost a multi-GB load (or crash inside llama.cpp).
Reads the header, all key/values and the tensor table, and checks that the tensor data the table
promises fits in the file. Large arrays (merges...) are skipped; the token list is kept on
request because template selection looks for special tokens.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glm_lsp.model.backend import ModelLoadError

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
_SMALL_ARRAY = 64

# GGUF value types
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("<B", 1),
    1: ("<b", 1),
    2: ("<H", 2),
    3: ("<h", 2),
    4: ("<I", 4),
    5: ("<i", 4),
    6: ("<f", 4),
    7: ("<?", 1),
    10: ("<Q", 8),
    11: ("<q", 8),
    12: ("<d", 8),
}
_STRING = 8
_ARRAY = 9

# ggml type → (block size in elements, bytes per block); types not listed make the size check
# skip that tensor rather than fail (new quantization types appear often).
_TYPE_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    10: (256, 84),  # Q2_K
    11: (256, 110),  # Q3_K
    12: (256, 144),  # Q4_K
    13: (256, 176),  # Q5_K
    14: (256, 210),  # Q6_K
    15: (256, 292),  # Q8_K
    24: (1, 1),  # I8
    25: (1, 2),  # I16
    26: (1, 4),  # I32
    27: (1, 8),  # I64
    28: (1, 8),  # F64
    30: (1, 2),  # BF16
}


class GgufError(ValueError):
    """The file is not a readable GGUF; the message says why in user terms."""


@dataclass
class GgufInfo:
    path: Path
    version: int
    metadata: dict[str, Any]
    n_tensors: int
    file_size: int
    data_end: int
    tokens: list[str] | None = None
    token_types: list[int] | None = None
    tensor_names: list[str] = field(default_factory=list)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name", ""))

    def control_tokens(self) -> set[str]:
        """Texts of CONTROL tokens (type 3): what ``special=True`` tokenization turns into ids."""
        if self.tokens is None or self.token_types is None:
            return set()
        return {t for t, kind in zip(self.tokens, self.token_types, strict=False) if kind == 3}


class _Cursor:
    def __init__(self, buf: mmap.mmap | bytes, size: int) -> None:
        self.buf = buf
        self.size = size
        self.pos = 0

    def take(self, fmt: str, width: int) -> Any:
        if self.pos + width > self.size:
            raise GgufError("the file ends inside its header (truncated download?)")
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += width
        return value

    def string(self) -> str:
        length = int(self.take("<Q", 8))
        if length > self.size - self.pos:
            raise GgufError("the file ends inside its header (truncated download?)")
        raw = bytes(self.buf[self.pos : self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def skip(self, width: int) -> None:
        if self.pos + width > self.size:
            raise GgufError("the file ends inside its header (truncated download?)")
        self.pos += width


def _value(cur: _Cursor, vtype: int, key: str, keep_arrays: frozenset[str]) -> Any:
    if vtype in _SCALARS:
        fmt, width = _SCALARS[vtype]
        return cur.take(fmt, width)
    if vtype == _STRING:
        return cur.string()
    if vtype == _ARRAY:
        etype = int(cur.take("<I", 4))
        count = int(cur.take("<Q", 8))
        keep = key in keep_arrays or count <= _SMALL_ARRAY
        if etype in _SCALARS and not keep:
            cur.skip(_SCALARS[etype][1] * count)
            return count
        items: list[Any] = []
        for _ in range(count):
            item = _value(cur, etype, "", frozenset())
            if keep:
                items.append(item)
        return items if keep else count
    raise GgufError(f"unknown value type {vtype} for key {key!r} (corrupt file?)")


def read_gguf_info(path: str | Path, *, tokens: bool = True) -> GgufInfo:
    """Parse ``path``'s header; raises ``GgufError`` (missing, not GGUF, truncated, corrupt)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise GgufError(f"no model file at {p}")
    size = p.stat().st_size
    if size < 24:
        raise GgufError(f"{p} is too small to be a GGUF model ({size} bytes)")
    keep = frozenset({"tokenizer.ggml.tokens", "tokenizer.ggml.token_type"} if tokens else ())
    with p.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        if buf[:4] != GGUF_MAGIC:
            raise GgufError(f"{p} is not a GGUF file (bad magic {bytes(buf[:4])!r})")
        cur = _Cursor(buf, size)
        cur.pos = 4
        version = int(cur.take("<I", 4))
        if version not in (2, 3):
            raise GgufError(f"{p}: unsupported GGUF version {version}")
        n_tensors = int(cur.take("<Q", 8))
        n_kv = int(cur.take("<Q", 8))
        if n_tensors > 1_000_000 or n_kv > 1_000_000:
            raise GgufError(f"{p}: implausible header counts (corrupt file?)")
        meta: dict[str, Any] = {}
        for _ in range(n_kv):
            key = cur.string()
            vtype = int(cur.take("<I", 4))
            meta[key] = _value(cur, vtype, key, keep)
        names: list[str] = []
        data_size = 0
        for _ in range(n_tensors):
            names.append(cur.string())
            n_dims = int(cur.take("<I", 4))
            if n_dims > 8:
                raise GgufError(f"{p}: tensor {names[-1]!r} has {n_dims} dimensions (corrupt?)")
            n_elems = 1
            for _ in range(n_dims):
                n_elems *= int(cur.take("<Q", 8))
            ggml_type = int(cur.take("<I", 4))
            offset = int(cur.take("<Q", 8))
            if ggml_type in _TYPE_SIZES:
                block, nbytes = _TYPE_SIZES[ggml_type]
                data_size = max(data_size, offset + (n_elems // block) * nbytes)
        align = int(meta.get("general.alignment", DEFAULT_ALIGNMENT)) or DEFAULT_ALIGNMENT
        data_start = -(-cur.pos // align) * align
    data_end = data_start + data_size
    if data_end > size:
        raise GgufError(
            f"{p} is truncated: its tensors need {data_end} bytes, the file has {size}"
            " (incomplete download? run `glm-lsp models verify`)"
        )
    tok = meta.get("tokenizer.ggml.tokens")
    types = meta.get("tokenizer.ggml.token_type")
    return GgufInfo(
        path=p,
        version=version,
        metadata={k: v for k, v in meta.items() if k not in keep},
        n_tensors=n_tensors,
        file_size=size,
        data_end=data_end,
        tokens=[str(t) for t in tok] if isinstance(tok, list) else None,
        token_types=[int(t) for t in types] if isinstance(types, list) else None,
        tensor_names=names,
    )


def validate_model_file(path: str | Path) -> GgufInfo:
    """Header check before llama.cpp sees the file; ``ModelLoadError`` says what to do."""
    try:
        info = read_gguf_info(path)
    except GgufError as exc:
        raise ModelLoadError(f"cannot use model: {exc}") from exc
    except OSError as exc:
        raise ModelLoadError(f"cannot read model file {path}: {exc}") from exc
    if not info.architecture:
        raise ModelLoadError(f"{info.path} has no general.architecture: not a model GGUF")
    if info.tokens is None:
        raise ModelLoadError(f"{info.path} has no tokenizer vocabulary: not a usable model")
    return info
