"""KV reuse while typing: prompt tokens llama.cpp evaluates per request, stable vs naive layout.

Replays a typing session through ``GhostService`` with the real llama.cpp backend: a function
is inserted one character at a time into a copy of a standard-library module (nobody here wrote
it), each keystroke followed by a ghost-text request that is awaited to the end. The typed-ahead
reuse is switched off so every request reaches the model. For each request after the first,
the share of the prompt that had to be evaluated (``1 - reused / prompt_tokens``) is recorded.

- **stable**: the layout of ``glm_lsp/model/prompt.py`` (prefix window start snapped to line
  blocks from the top, suffix window end snapped to blocks from the bottom, ``###MODE`` pinned).
- **naive**: as many whole lines as fit on each side of the cursor, the real LINE/BLOCK mode in
  the header: the window edges move with every keystroke/Enter.

Target: ≤ 5% of each prompt evaluated after the first request.

    python tests/benchmarks/bench_kv_reuse.py                      # the tiny test GGUF
    python tests/benchmarks/bench_kv_reuse.py --model path/to/codegeex4.gguf --file argparse.py
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import statistics
import sysconfig
import time
from pathlib import Path

from glm_lsp.config import Settings
from glm_lsp.ghost.service import GhostService
from glm_lsp.model.llama import default_tiny_model_path
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import DocumentTrees

FUNCTION = (
    "def count_words(text, sep=None):\n"
    "    counts = {}\n"
    "    for word in text.split(sep):\n"
    "        counts[word] = counts.get(word, 0) + 1\n"
    "    return counts\n"
    "\n"
)


def _insertion_point(text: str) -> int:
    """A top-level blank line near the middle of the file (a new function goes there)."""
    found = re.compile(r"\n\n\n(?=def |class )").search(text, len(text) // 2)
    return found.start() + 2 if found is not None else len(text)


async def _replay(
    settings: Settings, text: str, stable: bool, keys: int, typed: str = FUNCTION
) -> dict[str, float]:
    service = GhostService(settings, stable_layout=stable)
    service.gate.repair = False  # one generation per keystroke: the layout is what is measured
    service.start()
    if not await service.wait_loaded(120):
        raise SystemExit(f"model did not load: {service.error}")
    spec = spec_for("python")
    trees = DocumentTrees()
    uri = "file:///bench/module.py"
    at = _insertion_point(text)
    shares: list[float] = []
    evaluated: list[int] = []
    prompt_sizes: list[int] = []
    first_eval = 0
    started = time.perf_counter()
    requests = 0
    for i in range(min(keys, len(typed)) + 1):
        doc_text = text[:at] + typed[:i] + text[at:]
        offset = at + i
        doc = trees.update(uri, doc_text, i + 1, "python", "/bench/module.py")
        ctx = build_context(spec, doc_text, offset, doc.tree)
        service.primary.typeahead.forget(uri)
        before = dict(service.counts)
        await service.inline(doc, offset, ctx)
        gen_count = service.counts["generations"] - before["generations"]
        if gen_count == 0:
            continue  # no model call (mode none, e.g. inside a word)
        requests += 1
        ev = service.counts["prompt_tokens_evaluated"] - before["prompt_tokens_evaluated"]
        reused = service.counts["prompt_tokens_reused"] - before["prompt_tokens_reused"]
        total = ev + reused
        if requests == 1:
            first_eval = ev
            continue
        shares.append(ev / total if total else 0.0)
        evaluated.append(ev)
        prompt_sizes.append(total)
    elapsed = time.perf_counter() - started
    service.close()
    shares.sort()
    return {
        "requests": requests,
        "prompt_tokens": statistics.mean(prompt_sizes) if prompt_sizes else 0,
        "first_eval": first_eval,
        "mean_eval": statistics.mean(evaluated) if evaluated else 0,
        "median_share": statistics.median(shares) if shares else 0,
        "p95_share": shares[int(0.95 * (len(shares) - 1))] if shares else 0,
        "max_share": shares[-1] if shares else 0,
        "over_5pct": sum(1 for s in shares if s > 0.05),
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", default=str(default_tiny_model_path()))
    parser.add_argument("--file", default="argparse.py", help="stdlib module to type into")
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--copies", type=int, default=1, help="type the function N times")
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--max-tokens", type=int, default=8)
    args = parser.parse_args(argv)
    typed = "".join(FUNCTION.replace("count_words", f"count_words_{i}") for i in range(args.copies))
    text = (Path(sysconfig.get_paths()["stdlib"]) / args.file).read_text(encoding="utf-8")
    s = Settings()
    s = dataclasses.replace(
        s,
        model=dataclasses.replace(s.model, path=args.model, context_size=args.context),
        inline=dataclasses.replace(s.inline, max_tokens=args.max_tokens),
    )
    print(
        f"model {Path(args.model).name}, file {args.file} ({len(text)} chars), "
        f"{min(args.keys, len(typed))} keystrokes, max_tokens {args.max_tokens}"
    )
    header = (
        f"{'layout':<8} {'model calls':>11} {'prompt tok':>10} {'1st eval':>8} "
        f"{'mean eval':>9} {'median %':>8} {'p95 %':>7} {'max %':>7} {'>5%':>5} {'time s':>7}"
    )
    print(header)
    print("-" * len(header))
    rows = {}
    for name, stable in (("stable", True), ("naive", False)):
        r = asyncio.run(_replay(s, text, stable, args.keys, typed))
        rows[name] = r
        print(
            f"{name:<8} {r['requests']:>11.0f} {r['prompt_tokens']:>10.0f} {r['first_eval']:>8.0f} "
            f"{r['mean_eval']:>9.1f} {100 * r['median_share']:>8.2f} {100 * r['p95_share']:>7.2f} "
            f"{100 * r['max_share']:>7.2f} {r['over_5pct']:>5.0f} {r['seconds']:>7.1f}"
        )
    if rows["stable"]["mean_eval"]:
        ratio = rows["naive"]["mean_eval"] / rows["stable"]["mean_eval"]
        print(f"naive evaluates {ratio:.1f}x the tokens of stable per request (same run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
