"""Build the tiny random-weights GLM test model: ``models/tiny/glm-tiny-q8_0.gguf``.

Why: tests and the offline demo need a model that runs through the *real* llama.cpp path with the
same architecture (``chatglm``, like CodeGeeX4-ALL-9B), the same tokenizer kind (byte-level BPE,
``chatglm-bpe`` pre-tokenizer) and the same special/FIM tokens as the real model, yet is ~1 MB
and loads in milliseconds. Its weights are random (fixed seed): the text it generates is
gibberish by design. The trained model is ``glm-code-tiny`` (``train.py``, ``export.py``).

Deterministic: same numpy/gguf/llama.cpp versions → same bytes (checked by the sha256 in
``models/tiny/README.md``). Run: ``python models/tiny/build_tiny.py [--out PATH]``.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import itertools
import re
import sys
import tempfile
from pathlib import Path

import gguf
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import chatglm_gguf  # noqa: E402

DEFAULT_OUT = HERE / "glm-tiny-q8_0.gguf"
SEED = 20261122

N_EMBD = 128
N_HEAD = 4
N_HEAD_KV = 2
HEAD_DIM = N_EMBD // N_HEAD
N_FF = 384
N_LAYER = 4
N_CTX_TRAIN = 8192
N_MERGES = 700


SPECIAL_TOKENS = chatglm_gguf.SPECIAL_TOKENS

# Text the BPE merges are learned from: self-written, code-like, so common code fragments
# (" def", "self", "return", indentation) become single tokens as in a real code model.
TRAINING_TEXT = '''
def add(a, b):
    """Return the sum of a and b."""
    return a + b


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        return self.items.pop()

    def __len__(self):
        return len(self.items)


def fibonacci(n: int) -> int:
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)


for index, value in enumerate(values):
    if value is None:
        continue
    print(index, value)

function greet(name) {
    const message = "Hello, " + name;
    console.log(message);
    return message;
}

fn main() {
    let mut total = 0;
    for i in 0..10 {
        total += i;
    }
    println!("{}", total);
}

func Sum(values []int) int {
    total := 0
    for _, v := range values {
        total += v
    }
    return total
}

public static int max(int a, int b) {
    return a > b ? a : b;
}

import os
import sys
from pathlib import Path

with open(path, "r", encoding="utf-8") as handle:
    text = handle.read()
result = {key: value for key, value in items.items() if value}
'''

PRETOKENIZE = re.compile(
    r"(?:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n A-Za-z0-9]?[A-Za-z]+|[0-9]{1,3}"
    r"| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable character map (what byte-level BPE vocabularies use)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars, strict=True)}


def learn_merges(text: str, n_merges: int) -> list[tuple[str, str]]:
    """Plain BPE training; ties broken by the pair itself so the result is deterministic."""
    table = bytes_to_unicode()
    words: collections.Counter[tuple[str, ...]] = collections.Counter()
    for piece in PRETOKENIZE.findall(text):
        words[tuple(table[b] for b in piece.encode("utf-8"))] += 1
    merges: list[tuple[str, str]] = []
    for _ in range(n_merges):
        pairs: collections.Counter[tuple[str, str]] = collections.Counter()
        for word, count in words.items():
            for pair in itertools.pairwise(word):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        merged: collections.Counter[tuple[str, ...]] = collections.Counter()
        for word, count in words.items():
            out: list[str] = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    return merges


def build_vocab() -> tuple[list[str], list[int], list[str]]:
    table = bytes_to_unicode()
    tokens = [table[b] for b in range(256)]
    seen = set(tokens)
    merges = learn_merges(TRAINING_TEXT, N_MERGES)
    for left, right in merges:
        if left + right not in seen:
            tokens.append(left + right)
            seen.add(left + right)
    types = [int(gguf.TokenType.NORMAL)] * len(tokens)
    tokens.extend(SPECIAL_TOKENS)
    types.extend([int(gguf.TokenType.CONTROL)] * len(SPECIAL_TOKENS))
    return tokens, types, [f"{a} {b}" for a, b in merges]


def write_f32(path: Path) -> None:
    tokens, types, merges = build_vocab()
    rng = np.random.default_rng(SEED)

    def mat(rows: int, cols: int) -> np.ndarray:
        values: np.ndarray = rng.standard_normal((rows, cols)) / np.sqrt(cols)
        return values.astype(np.float32)

    n_vocab = len(tokens)
    n_qkv = N_EMBD + 2 * N_HEAD_KV * HEAD_DIM
    ones = np.ones(N_EMBD, dtype=np.float32)
    tensors = {
        "token_embd.weight": mat(n_vocab, N_EMBD),
        "output_norm.weight": ones.copy(),
        "output.weight": mat(n_vocab, N_EMBD),
    }
    for layer in range(N_LAYER):
        prefix = f"blk.{layer}."
        tensors[prefix + "attn_norm.weight"] = ones.copy()
        tensors[prefix + "attn_qkv.weight"] = mat(n_qkv, N_EMBD)
        tensors[prefix + "attn_qkv.bias"] = (0.02 * rng.standard_normal(n_qkv)).astype(np.float32)
        tensors[prefix + "attn_output.weight"] = mat(N_EMBD, N_EMBD)
        tensors[prefix + "ffn_norm.weight"] = ones.copy()
        tensors[prefix + "ffn_up.weight"] = mat(2 * N_FF, N_EMBD)
        tensors[prefix + "ffn_down.weight"] = mat(N_EMBD, N_FF)
    hp = chatglm_gguf.HParams(
        n_vocab=n_vocab,
        n_embd=N_EMBD,
        n_layer=N_LAYER,
        n_head=N_HEAD,
        n_head_kv=N_HEAD_KV,
        n_ff=N_FF,
        n_ctx=N_CTX_TRAIN,
        n_rot=HEAD_DIM // 2,
    )
    chatglm_gguf.write(
        path,
        name="glm-tiny-random (test model, random weights)",
        description="Random-weights chatglm GGUF for glm-lsp tests; output is gibberish.",
        hp=hp,
        vocab=chatglm_gguf.Vocab(tokens, types, merges),
        tensors=tensors,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        f32 = Path(tmp) / "glm-tiny-f32.gguf"
        write_f32(f32)
        chatglm_gguf.quantize(f32, args.out, "Q8_0")
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    sys.stderr.write(f"{args.out}  {args.out.stat().st_size} bytes  sha256 {digest}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
