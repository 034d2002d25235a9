"""The confidence gate on held-out code: coverage vs exact match, repair, latency with early stop.

What it measures. The held-out stdlib modules of ``bench_line_completion.py`` (the ranking
benchmark's *test* half, kept out of training) are split in two by file: the **calibration**
half picks the threshold (``ghost/calibrate.pick_threshold``: the lowest score whose shown
suggestions are exact at least ``--target`` of the time), the **evaluation** half reports it, so
the threshold is judged on code it was not chosen on. Positions are sampled as in
``bench_line_completion.py`` (a random line, a random column, the rest of the line deleted).
Every position goes through ``GhostService.inline`` (prompt, model, post-processing, repair by
regeneration, confidence), LINE mode:

1. calibration half, gate open (every suggestion scored): the threshold;
2. evaluation half, two services in the same loop, position by position: gate open (no early
   stop) and gate at the chosen threshold (early stop armed). Tables: per threshold, coverage
   (share of positions showing something) with exact match and edit similarity of what is
   shown; repair (suggestions recovered per 100 requests, their exact match vs the others);
   latency p50/p95 of ``inline`` (wall, cold KV: each position is a different file region)
   and decoded tokens, open vs gated.

    python tests/benchmarks/bench_confidence_gate.py --n 300
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import sys
import sysconfig
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from bench_line_completion import DEFAULT_MODEL, sample_positions  # noqa: E402
from bench_ranking import choose_files  # noqa: E402

from glm_lsp.ghost.calibrate import (  # noqa: E402
    HEADER,
    THRESHOLDS,
    Probe,
    Sample,
    best_threshold,
    markdown,
    open_gate_settings,
    pick_threshold,
    probe,
    run,
    table,
)
from glm_lsp.ghost.service import GhostService  # noqa: E402


def probes_of(files: list[Path], n: int, seed: int) -> list[Probe]:
    positions, _ = sample_positions(files, n, seed)
    return [Probe(p.path, p.text, p.offset, p.target) for p in positions]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def paired(
    model: Path, threshold: float, probes: list[Probe], threads: int
) -> tuple[list[Sample], list[Sample], dict[str, dict[str, int]]]:
    """Gate open and gate at ``threshold``, position by position in the same loop."""
    base = open_gate_settings(model, threads)
    gated_settings = dataclasses.replace(
        base, inline=dataclasses.replace(base.inline, min_confidence=threshold)
    )
    services = [GhostService(base), GhostService(gated_settings)]
    for s in services:
        s.start()
        assert await s.wait_loaded(600), s.error
    open_samples, gated_samples = [], []
    for i, p in enumerate(probes):
        open_samples.append(await probe(services[0], p, f"o{i}"))
        gated_samples.append(await probe(services[1], p, f"g{i}"))
    tokens = {
        "open": services[0].stats()["model"],
        "gated": services[1].stats()["model"],
    }
    gates = {
        "open": services[0].stats()["inline"]["gate"],
        "gated": services[1].stats()["inline"]["gate"],
    }
    for s in services:
        s.close()
    return open_samples, gated_samples, {**{f"{k}_model": v for k, v in tokens.items()}, **gates}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--dir", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--n", type=int, default=300, help="positions per half")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.25)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--dump", type=Path, help="write every sample as JSON lines here")
    args = parser.parse_args(argv)
    model, stdlib = args.model.resolve(), args.dir.resolve()
    heldout = sorted(choose_files(stdlib, 10**6, "test", args.seed))
    calib_files, eval_files = heldout[0::2], heldout[1::2]
    calib = probes_of(calib_files, args.n, args.seed)
    evaluation = probes_of(eval_files, args.n, args.seed + 1)
    cwd = os.getcwd()
    os.chdir(stdlib)  # as the server in its workspace root: ###PATH is the file's name
    t0 = time.perf_counter()
    try:
        calib_samples = asyncio.run(run(open_gate_settings(model, args.threads), calib))
        chosen = pick_threshold(calib_samples, args.target)
        met = chosen is not None
        chosen = chosen or best_threshold(calib_samples)  # as `models calibrate` does
        threshold = chosen[0]
        open_s, gated_s, stats = asyncio.run(paired(model, threshold, evaluation, args.threads))
    finally:
        os.chdir(cwd)
    if args.dump is not None:
        with args.dump.open("w", encoding="utf-8") as f:
            for half, xs in (("calibration", calib_samples), ("evaluation", open_s)):
                for s in xs:
                    f.write(json.dumps({"half": half, **dataclasses.asdict(s)}) + "\n")
    print(
        f"{model.name}: calibration half {len(calib_files)} modules / {len(calib)} positions, "
        f"evaluation half {len(eval_files)} modules / {len(evaluation)} positions "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    how = (
        "reaches the target" if met else f"no threshold reaches {args.target:.0%}: the most precise"
    )
    print(
        f"calibration: threshold {chosen[0]:.4g} ({how}; {chosen[1]} shown of {len(calib)}, "
        f"exact {chosen[2]:.1%} on the calibration half)"
    )
    print("\nEvaluation half, gate open, per threshold (the chosen one marked *):")
    marks = sorted({*THRESHOLDS, round(threshold, 6)})
    rows = table(open_s, marks)
    for row in rows:
        if float(row[0]) == round(threshold, 6):
            row[0] += " *"
    print(markdown(rows, HEADER))
    print("\nThe gated service itself (early stop armed), same positions:")
    print(markdown(table(gated_s, [0.0]), HEADER))

    n = max(1, len(open_s))
    repaired = [s for s in open_s if s.repaired]
    plain = [s for s in open_s if s.text and not s.repaired]
    rep_gated = [s for s in gated_s if s.repaired]

    def em(xs: list[Sample]) -> str:
        return f"{100 * sum(s.exact for s in xs) / max(1, len(xs)):.1f}%"

    print("\nRepair by regeneration (evaluation half):")
    print(
        markdown(
            [
                ["gate open", f"{100 * len(repaired) / n:.1f}", em(repaired), em(plain)],
                [
                    f"gate {threshold:.4g}",
                    f"{100 * len(rep_gated) / n:.1f}",
                    em(rep_gated),
                    em([s for s in gated_s if s.text and not s.repaired]),
                ],
            ],
            ["run", "recovered per 100 requests", "their exact match", "unrepaired exact match"],
        )
    )
    print(f"gate counters: open {stats['open']}\n               gated {stats['gated']}")

    def drafts(xs: list[Sample]) -> list[str]:
        found = [s for s in xs if s.draft is not None]
        shown = [s for s in found if s.draft is not None and s.draft.get("shown")]
        return [f"{len(found)}", f"{len(shown)}", em(shown), em([s for s in xs if s.exact])]

    print("\nContext drafts (ghost/drafts.py; evaluation half):")
    print(
        markdown(
            [["gate open", *drafts(open_s)], [f"gate {threshold:.4g}", *drafts(gated_s)]],
            ["run", "drafts found", "drafts shown", "their exact match", "(all exact)"],
        )
    )
    lat = []
    for label, xs, key in (
        ("gate open", open_s, "open_model"),
        ("gated + early stop", gated_s, "gated_model"),
    ):
        ms = [s.elapsed_ms for s in xs]
        tokens = stats[key]["generated_tokens"]
        lat.append(
            [label, f"{statistics.median(ms):.1f}", f"{pct(ms, 0.95):.1f}", f"{tokens / n:.1f}"]
        )
    print("\nLatency of GhostService.inline (same run, interleaved):")
    print(markdown(lat, ["run", "p50 ms", "p95 ms", "decoded tokens / request"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
