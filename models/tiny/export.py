"""Export a trained glm-code-tiny checkpoint to a ``chatglm`` GGUF, quantize it, and check it.

Why the check is part of the export: a GGUF that loads is not a GGUF that computes what was
trained (a rope convention or a gate/up order off by one layout still "works" and writes
fluent-looking nonsense). ``check`` runs the same tokens through llama.cpp and through the PyTorch
module and compares the next-token distributions; ``tokenizer_agrees`` checks that llama.cpp's
tokenizer, rebuilt from the GGUF, splits text exactly as the ``tokenizers`` BPE used in training.

    python models/tiny/export.py     # build/glm-code-tiny.pt -> the package data file below
    python models/tiny/export.py --quant Q4_K_M --out /tmp/glm-code-tiny-q4_k_m.gguf
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bpe  # noqa: E402
import chatglm_gguf  # noqa: E402
from glm import GLM, Config  # noqa: E402

DEFAULT_CKPT = HERE / "build" / "glm-code-tiny.pt"
# The embedded default ships as package data (glm_lsp/data/models/), pinned in
# glm_lsp/data/catalog.toml (update its sha256 and size after an export).
DEFAULT_OUT = HERE.parents[1] / "glm_lsp" / "data" / "models" / "glm-code-tiny-q8_0.gguf"
NAME = "glm-code-tiny"


def vocab_from(tok_json: dict[str, Any]) -> chatglm_gguf.Vocab:
    model = tok_json["model"]
    by_id = {int(i): t for t, i in model["vocab"].items()}
    control = set()
    for added in tok_json.get("added_tokens", []):
        by_id[int(added["id"])] = added["content"]
        if added.get("special"):
            control.add(int(added["id"]))
    tokens = [by_id[i] for i in range(len(by_id))]
    import gguf

    types = [
        int(gguf.TokenType.CONTROL if i in control else gguf.TokenType.NORMAL)
        for i in range(len(tokens))
    ]
    merges = [m if isinstance(m, str) else f"{m[0]} {m[1]}" for m in model["merges"]]
    return chatglm_gguf.Vocab(tokens, types, merges)


def load_model(ckpt: Path) -> GLM:
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    cfg = Config(**state["config"])
    model = GLM(cfg)
    model.head.weight = model.embed.weight
    model.load_state_dict(state["model"])
    model.eval()
    return model


def tensors_of(model: GLM) -> dict[str, np.ndarray]:
    def arr(t: torch.Tensor) -> np.ndarray:
        return t.detach().float().numpy()

    out = {
        "token_embd.weight": arr(model.embed.weight),
        "output_norm.weight": arr(model.norm.weight),
        "output.weight": arr(model.head.weight),
    }
    for i, block in enumerate(model.blocks):
        p = f"blk.{i}."
        out[p + "attn_norm.weight"] = arr(block.attn_norm.weight)
        out[p + "attn_qkv.weight"] = arr(block.qkv.weight)
        out[p + "attn_qkv.bias"] = arr(block.qkv.bias)
        out[p + "attn_output.weight"] = arr(block.out.weight)
        out[p + "ffn_norm.weight"] = arr(block.ffn_norm.weight)
        out[p + "ffn_up.weight"] = arr(block.up.weight)
        out[p + "ffn_down.weight"] = arr(block.down.weight)
    return out


def hparams_of(cfg: Config) -> chatglm_gguf.HParams:
    return chatglm_gguf.HParams(
        n_vocab=cfg.n_vocab,
        n_embd=cfg.n_embd,
        n_layer=cfg.n_layer,
        n_head=cfg.n_head,
        n_head_kv=cfg.n_head_kv,
        n_ff=cfg.n_ff,
        n_ctx=cfg.n_ctx,
        n_rot=cfg.n_rot,
        norm_eps=cfg.norm_eps,
        rope_base=cfg.rope_base,
    )


def write_f32(model: GLM, path: Path, tokenizer_json: Path = bpe.TOKENIZER_JSON) -> None:
    tok_json = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    chatglm_gguf.write(
        path,
        name=NAME,
        description=(
            "glm-code-tiny: a small GLM-architecture code model trained by glm-lsp on "
            "permissively licensed Python (models/tiny/CORPUS.md), CodeGeeX4 FIM format."
        ),
        hp=hparams_of(model.cfg),
        vocab=vocab_from(tok_json),
        tensors=tensors_of(model),
        licence="Apache-2.0",
    )


def llama_logits(gguf_path: Path, ids: list[int]) -> np.ndarray:
    """llama.cpp's logits for every position of ``ids``."""
    import llama_cpp

    llm = llama_cpp.Llama(
        str(gguf_path),
        n_ctx=max(64, len(ids) + 8),
        logits_all=True,
        verbose=False,
        n_threads=1,
        n_threads_batch=1,
        type_k=0,  # F32 KV cache: compare the weights' layout, not the cache's f16 rounding
        type_v=0,
    )
    try:
        llm.eval(ids)
        return np.array(llm.scores[: len(ids)], dtype=np.float32)
    finally:
        llm.close()


def torch_logits(model: GLM, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        return model(torch.tensor([ids]))[0].float().numpy()


def check(model: GLM, gguf_path: Path, ids: list[int]) -> dict[str, float]:
    """Agreement of llama.cpp with PyTorch: argmax match rate and max |Δ log-prob|."""
    a = llama_logits(gguf_path, ids)
    b = torch_logits(model, ids)

    def logp(x: np.ndarray) -> np.ndarray:
        x = x - x.max(-1, keepdims=True)
        return x - np.log(np.exp(x).sum(-1, keepdims=True))

    return {
        "argmax_agree": float((a.argmax(-1) == b.argmax(-1)).mean()),
        "max_abs_logprob_diff": float(np.abs(logp(a) - logp(b)).max()),
        "positions": float(len(ids)),
    }


def tokenizer_agrees(gguf_path: Path, texts: list[str]) -> list[str]:
    """Texts that llama.cpp tokenizes differently from the training tokenizer (empty: none)."""
    import llama_cpp

    tok = bpe.load()
    llm = llama_cpp.Llama(str(gguf_path), vocab_only=True, verbose=False)
    try:
        bad = []
        for text in texts:
            ours = tok.encode(text, add_special_tokens=True).ids
            theirs = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            if list(ours) != list(theirs):
                bad.append(text)
        return bad
    finally:
        llm.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", type=Path, default=DEFAULT_CKPT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--quant", default="Q8_0", choices=sorted(chatglm_gguf.QUANT_TYPES))
    args = parser.parse_args(argv)
    model = load_model(args.ckpt)
    probe = (HERE / "samples.py").read_text(encoding="utf-8")[:1500]
    ids = bpe.load().encode(probe).ids[:256]
    with tempfile.TemporaryDirectory() as tmp:
        f32 = Path(tmp) / f"{NAME}-f32.gguf"
        write_f32(model, f32)
        report = {"f32": check(model, f32, ids)}
        chatglm_gguf.quantize(f32, args.out, args.quant)
    report[args.quant] = check(model, args.out, ids)
    report["tokenizer_mismatches"] = len(tokenizer_agrees(args.out, [probe]))
    sys.stderr.write(json.dumps(report) + "\n")
    size = args.out.stat().st_size
    sys.stderr.write(f"{args.out}  {size} bytes  sha256 {sha256(args.out)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
