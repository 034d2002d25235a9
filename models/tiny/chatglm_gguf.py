"""The project's GGUF writer for ``chatglm``-architecture models, and llama.cpp's quantizer.

Why one writer for both shipped models: the random-weights test model (``build_tiny.py``) and the
trained glm-code-tiny (``export.py``) must carry the same metadata keys, tokenizer fields and
tensor names that CodeGeeX4-ALL-9B's GGUF does, so the server's loader, template auto-selection
and stop-token resolution see no difference between them.
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

ARCH = "chatglm"

QUANT_TYPES = {"Q8_0": 7, "Q4_K_M": 15, "F16": 1}
"""llama.cpp ``LLAMA_FTYPE_*`` values by name."""

# GLM-4 / CodeGeeX4 special tokens in their vocabulary order (after the BPE tokens), then the code
# infilling tokens the CodeGeeX4 FIM prompt uses; CONTROL tokens in every model we write.
SPECIAL_TOKENS = (
    "<|endoftext|>",
    "[MASK]",
    "[gMASK]",
    "[sMASK]",
    "<sop>",
    "<eop>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|observation|>",
    "<|begin_of_image|>",
    "<|end_of_image|>",
    "<|begin_of_video|>",
    "<|end_of_video|>",
    "<|code_prefix|>",
    "<|code_middle|>",
    "<|code_suffix|>",
)


@dataclass(frozen=True)
class HParams:
    n_vocab: int
    n_embd: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_ctx: int
    n_rot: int
    norm_eps: float = 1e-5
    rope_base: float | None = None  # None: not written (llama.cpp's default, 10000)


@dataclass(frozen=True)
class Vocab:
    tokens: Sequence[str]
    types: Sequence[int]
    merges: Sequence[str]  # "left right"

    def id_of(self, text: str) -> int:
        return list(self.tokens).index(text)


def write(
    path: Path,
    *,
    name: str,
    description: str,
    hp: HParams,
    vocab: Vocab,
    tensors: Mapping[str, np.ndarray],
    licence: str = "",
) -> None:
    """An F32 GGUF; ``tensors`` use GGUF names (``blk.N.attn_qkv.weight``…), row-major numpy."""
    writer = gguf.GGUFWriter(str(path), ARCH)
    writer.add_name(name)
    writer.add_description(description)
    if licence:
        writer.add_license(licence)
    writer.add_context_length(hp.n_ctx)
    writer.add_embedding_length(hp.n_embd)
    writer.add_block_count(hp.n_layer)
    writer.add_feed_forward_length(hp.n_ff)
    writer.add_head_count(hp.n_head)
    writer.add_head_count_kv(hp.n_head_kv)
    writer.add_layer_norm_rms_eps(hp.norm_eps)
    writer.add_rope_dimension_count(hp.n_rot)
    if hp.rope_base is not None:
        writer.add_rope_freq_base(hp.rope_base)
    writer.add_file_type(int(gguf.LlamaFileType.ALL_F32))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("chatglm-bpe")
    writer.add_token_list(list(vocab.tokens))
    writer.add_token_types(list(vocab.types))
    writer.add_token_merges(list(vocab.merges))
    eos = vocab.id_of("<|endoftext|>")
    writer.add_bos_token_id(eos)
    writer.add_eos_token_id(eos)
    writer.add_eot_token_id(vocab.id_of("<|user|>"))
    writer.add_pad_token_id(eos)
    writer.add_add_bos_token(False)
    for tensor_name, value in tensors.items():
        writer.add_tensor(tensor_name, np.ascontiguousarray(value, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def quantize(src: Path, dst: Path, kind: str = "Q8_0") -> None:
    """llama.cpp's own quantizer (norms and biases stay F32, as llama.cpp decides)."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANT_TYPES[kind]
    params.nthread = 1
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize({kind}) failed with {rc}")
