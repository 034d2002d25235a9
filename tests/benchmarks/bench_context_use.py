"""Does the model use the context? Middle-token loss with the full prompt vs context removed.

Exact-match numbers of a small model are too coarse to show whether the suffix or the distant
prefix matter, so this measures the mean negative log-likelihood (nats per token, lower is
better) that llama.cpp assigns to the *true* middle of held-out FIM samples, under three prompts
built from the same sample with the server's template: the full prompt; the suffix emptied; and
the prefix cut to its last line (suffix kept). Held-out files only (``models/tiny/corpus.py``).

    python tests/benchmarks/bench_context_use.py --samples 150
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "tiny"))

import bpe  # noqa: E402
import corpus  # noqa: E402
import numpy as np  # noqa: E402
from samples import Doc, Encoder, SampleMaker  # noqa: E402

from glm_lsp.model.templates import FimRequest  # noqa: E402

DEFAULT_MODEL = ROOT / "glm_lsp" / "data" / "models" / "glm-code-tiny-q8_0.gguf"


def middle_nll(llm: object, prompt: list[int], middle: list[int]) -> tuple[float, int]:
    """Summed NLL of ``middle`` after ``prompt`` (llama.cpp logits, F32 softmax)."""
    ids = prompt + middle
    llm.reset()  # type: ignore[attr-defined]
    llm.eval(ids)  # type: ignore[attr-defined]
    scores = np.array(llm.scores[len(prompt) - 1 : len(ids) - 1], dtype=np.float64)  # type: ignore[attr-defined]
    scores -= scores.max(-1, keepdims=True)
    logp = scores - np.log(np.exp(scores).sum(-1, keepdims=True))
    return float(-sum(logp[i, t] for i, t in enumerate(middle))), len(middle)


def main(argv: list[str] | None = None) -> int:
    import llama_cpp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--samples", type=int, default=150)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    docs = [Doc(d.path, d.text, "heldout") for d in corpus.load() if d.split == "heldout"]
    enc = Encoder(bpe.load())
    maker = SampleMaker(docs, enc, random.Random(args.seed))
    llm = llama_cpp.Llama(str(args.model), n_ctx=1024, logits_all=True, verbose=False)
    totals = {
        "full prompt": [0.0, 0],
        "suffix removed": [0.0, 0],
        "prefix: last line only": [0.0, 0],
    }
    done = 0
    rng = random.Random(args.seed)
    while done < args.samples:
        doc = rng.choice(docs)
        cursor, stop, _label = maker._cursor(doc.text)
        if cursor < 0 or stop <= cursor:
            continue
        begin = corpus_line_start(doc.text, max(0, cursor - rng.randint(400, 2000)))
        req = FimRequest(
            prefix=doc.text[begin:cursor],
            suffix=doc.text[stop : stop + rng.randint(100, 800)],
            path=doc.path,
            language="python",
            mode="BLOCK",
        )
        middle = [*enc.plain(doc.text[cursor:stop]), enc.eos]
        variants = {
            "full prompt": req,
            "suffix removed": replace(req, suffix=""),
            "prefix: last line only": replace(
                req, prefix=req.prefix[corpus_line_start(req.prefix, len(req.prefix)) :]
            ),
        }
        prompts = {k: enc.prompt(v) for k, v in variants.items()}
        if len(prompts["full prompt"]) + len(middle) > 1000:
            continue
        for name, prompt in prompts.items():
            nll, n = middle_nll(llm, prompt, middle)
            totals[name][0] += nll
            totals[name][1] += int(n)
        done += 1
    print(f"Context use: {args.model.name}, {done} held-out FIM samples, middle-token NLL")
    print()
    print("| prompt | middle NLL (nats/token) | perplexity | vs full prompt |")
    print("|---|---|---|---|")
    base = totals["full prompt"][0] / max(1, totals["full prompt"][1])
    for name, (nll, n) in totals.items():
        mean = nll / max(1, n)
        print(f"| {name} | {mean:.3f} | {math.exp(mean):.1f} | {mean - base:+.3f} |")
    return 0


def corpus_line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, max(0, pos)) + 1


if __name__ == "__main__":
    raise SystemExit(main())
