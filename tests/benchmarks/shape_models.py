"""Random-weights chatglm GGUFs with the exact shapes of real GLM models, for cost benchmarks.

No real CodeGeeX4 can be downloaded here, but its cost can be measured: llama.cpp's time per
token depends on the tensor shapes and quantization, not on the values. Each weight matrix is
one valid Q4_K block pattern repeated (Q4_K_M stores a few matrices in Q6_K, about 10 % more
bytes; every matrix is Q4_K here), norms are ones, biases zeros, the vocabulary is the
embedded model's code tokenizer padded with unused tokens to the real vocabulary size (the
output projection over 151,552 tokens is a large part of each decoded token's cost). Built at
benchmark time into a cache outside the repository (``$GLM_LSP_BENCH_CACHE`` or
``~/.cache/glm-lsp-bench``), never in CI.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "tiny"))
EMBEDDED = ROOT / "glm_lsp" / "data" / "models" / "glm-code-tiny-q8_0.gguf"

import chatglm_gguf  # noqa: E402


@dataclass(frozen=True)
class Shape:
    name: str
    n_vocab: int
    n_embd: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_ctx: int


CODEGEEX4_9B = Shape("codegeex4-all-9b-shape", 151552, 4096, 40, 32, 2, 13696, 131072)
"""CodeGeeX4-ALL-9B / GLM-4-9B: hidden 4096, 40 layers, 32 heads with 2 KV heads (GQA), FFN
13,696 (gated), vocabulary 151,552, 128k context."""
GLM_EDGE_1_5B = Shape("glm-edge-1.5b-shape", 59264, 2048, 28, 16, 4, 6144, 8192)
"""GLM-Edge-1.5B as recalled from its model card (hidden 2048, 28 layers, 16 heads, 4 KV heads,
FFN 6144, vocabulary 59,264); not re-checked offline."""


def trained_vocab() -> tuple[list[str], list[int], list[str]]:
    """The embedded glm-code-tiny's tokenizer (a BPE trained on code, 3.7 characters per token,
    close to GLM-4's): prompts then have the token counts a real model would see, which the
    test tokenizer (a few hundred merges) would inflate about threefold."""
    reader = gguf.GGUFReader(str(EMBEDDED))

    def strings(key: str) -> list[str]:
        f = reader.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    f = reader.fields["tokenizer.ggml.token_type"]
    types = [int(f.parts[i][0]) for i in f.data]
    return strings("tokenizer.ggml.tokens"), types, strings("tokenizer.ggml.merges")


def cache_dir() -> Path:
    base = os.environ.get("GLM_LSP_BENCH_CACHE") or str(Path.home() / ".cache" / "glm-lsp-bench")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _rows(
    rows: int, cols: int, qtype: gguf.GGMLQuantizationType, rng: np.random.Generator
) -> np.ndarray:
    """``rows`` x ``cols`` weights as quantized bytes: one random valid row of blocks, repeated
    (the cost of a matrix product does not depend on the values)."""
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    assert cols % block_elems == 0, (rows, cols, qtype)
    row = rng.integers(0, 256, size=(cols // block_elems, block_bytes), dtype=np.uint8)
    scale = np.frombuffer(np.float16(2.0**-9).tobytes(), dtype=np.uint8)
    row[:, 0:2] = scale  # d: a small positive scale keeps activations finite
    if qtype == gguf.GGMLQuantizationType.Q4_K:
        row[:, 2:4] = 0  # dmin
        row[:, 4:16] = 0x21  # 6-bit sub-block scales and mins
    return np.ascontiguousarray(np.tile(row.reshape(1, -1), (rows, 1)))


def build(shape: Shape) -> Path:
    """The GGUF for ``shape`` (built once, then reused from the cache)."""
    path = cache_dir() / f"{shape.name}-q4_k-v2.gguf"
    if path.is_file() and path.stat().st_size > 0:
        return path
    tokens, types, merges = trained_vocab()
    pad = shape.n_vocab - len(tokens)
    tokens = tokens + [f"<|unused_{i}|>" for i in range(pad)]
    types = types + [int(gguf.TokenType.UNUSED)] * pad
    rng = np.random.default_rng(7)
    head_dim = shape.n_embd // shape.n_head
    n_qkv = shape.n_embd + 2 * shape.n_head_kv * head_dim
    tmp = path.with_suffix(".partial")
    writer = gguf.GGUFWriter(str(tmp), chatglm_gguf.ARCH)
    writer.add_name(shape.name + " (random weights, for cost only)")
    writer.add_context_length(shape.n_ctx)
    writer.add_embedding_length(shape.n_embd)
    writer.add_block_count(shape.n_layer)
    writer.add_feed_forward_length(shape.n_ff)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(head_dim // 2)
    writer.add_file_type(int(gguf.LlamaFileType.MOSTLY_Q4_K_M))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("chatglm-bpe")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    eos = tokens.index("<|endoftext|>")
    writer.add_bos_token_id(eos)
    writer.add_eos_token_id(eos)
    writer.add_eot_token_id(tokens.index("<|user|>"))
    writer.add_pad_token_id(eos)
    writer.add_add_bos_token(False)

    def matrix(name: str, rows: int, cols: int) -> None:
        # k-quants need rows of whole 256-element blocks; llama.cpp's quantizer falls back to
        # Q8_0 for the others (GLM-4-9B's ffn_down: 13,696 columns), and so does this.
        qtype = gguf.GGMLQuantizationType.Q4_K
        if cols % 256:
            qtype = gguf.GGMLQuantizationType.Q8_0
        writer.add_tensor(name, _rows(rows, cols, qtype, rng), raw_dtype=qtype)

    ones = np.ones(shape.n_embd, dtype=np.float32)
    matrix("token_embd.weight", shape.n_vocab, shape.n_embd)
    writer.add_tensor("output_norm.weight", ones)
    matrix("output.weight", shape.n_vocab, shape.n_embd)
    for layer in range(shape.n_layer):
        p = f"blk.{layer}."
        writer.add_tensor(p + "attn_norm.weight", ones)
        matrix(p + "attn_qkv.weight", n_qkv, shape.n_embd)
        writer.add_tensor(p + "attn_qkv.bias", np.zeros(n_qkv, dtype=np.float32))
        matrix(p + "attn_output.weight", shape.n_embd, shape.n_embd)
        writer.add_tensor(p + "ffn_norm.weight", ones)
        matrix(p + "ffn_up.weight", 2 * shape.n_ff, shape.n_embd)
        matrix(p + "ffn_down.weight", shape.n_embd, shape.n_ff)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.rename(path)
    return path


if __name__ == "__main__":
    for s in (GLM_EDGE_1_5B, CODEGEEX4_9B):
        print(build(s))
