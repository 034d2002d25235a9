"""Context drafts without the model: how often is the rest of the line already in the file?

What it measures. The positions of ``bench_confidence_gate.py`` (same held-out stdlib modules,
same calibration/evaluation split by file, same seeds): a random line, a random column, the rest
of the line deleted. At each position, the text before the cursor on its line is looked up in
the rest of the document (prompt-lookup drafting): every other place where the same characters
occur, and the text that follows them up to the end of *that* line, is a candidate draft for the
rest of this one. Each match has a length (how many characters before the cursor it agrees
with, back to the start of the line's code) and a flag ``full`` (the match covers all the code
before the cursor, and on the other line it too starts at the line's first non-space
character). Candidates vote: the most frequent continuation wins, ties to the longest match.

A rule is (minimum match length, ``full`` required, minimum agreeing matches, agreement share);
per rule: coverage (share of positions with a draft) and precision (the draft is exactly the
deleted rest of the line). Rules are chosen on the calibration half, reported on the evaluation
half. No model is loaded; it runs in seconds.

The probe's document never holds the deleted text at the cursor (checked at every position):
the rest of the line is deleted before the lookup, and the cursor's own line is excluded.

    python tests/benchmarks/bench_drafts.py --n 300 --seed 11
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from bench_confidence_gate import probes_of  # noqa: E402
from bench_ranking import choose_files  # noqa: E402

from glm_lsp.ghost.calibrate import Probe, markdown  # noqa: E402
from glm_lsp.ghost.drafts import Match, find_matches, vote  # noqa: E402

Rule = tuple[int, bool, int, float, bool]


def leak_free(p: Probe) -> bool:
    """The probe's document ends the cursor's line at the cursor: the target is not there."""
    return p.text[p.offset : p.offset + 1] in ("", "\n")


def evaluate(
    matches: list[list[Match]], probes: list[Probe], rule: Rule
) -> tuple[int, int, list[str]]:
    """``(drafted, exact, drafts)`` under ``rule``."""
    min_len, full, agree, share, longest = rule
    drafted = exact = 0
    out = []
    for ms, p in zip(matches, probes, strict=True):
        draft = vote(ms, min_len, full, agree, share, longest)
        out.append(draft.text if draft else "")
        if draft:
            drafted += 1
            exact += draft.text == p.target
    return drafted, exact, out


RULES: list[Rule] = [
    (m, f, a, s, g)
    for m in (3, 6, 8, 12, 16, 24)
    for g in (False, True)
    for f in (False, True)
    for a in (1, 2, 3)
    for s in (0.0, 0.5, 1.0)
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--target", type=float, default=0.25)
    parser.add_argument("--min-coverage", type=float, default=0.03)
    parser.add_argument("--show", type=int, default=0, help="print this many drafts")
    args = parser.parse_args(argv)
    stdlib = args.dir.resolve()
    heldout = sorted(choose_files(stdlib, 10**6, "test", args.seed))
    halves = {
        "calibration": probes_of(heldout[0::2], args.n, args.seed),
        "evaluation": probes_of(heldout[1::2], args.n, args.seed + 1),
    }
    found = {}
    for name, probes in halves.items():
        assert all(leak_free(p) for p in probes), f"{name}: a probe holds its target"
        found[name] = [find_matches(p.text, p.offset) for p in probes]
    calib, evaluation = halves["calibration"], halves["evaluation"]
    n_c, n_e = len(calib), len(evaluation)
    rows = []
    for rule in RULES:
        dc, ec, _ = evaluate(found["calibration"], calib, rule)
        de, ee, _ = evaluate(found["evaluation"], evaluation, rule)
        rows.append((rule, dc, ec, de, ee))
    header = ["min chars", "full", "agree", "share", "longest",
              "calib cov.", "calib exact", "eval cov.",
              "eval exact"]  # fmt: skip

    def fmt(r: tuple[Rule, int, int, int, int]) -> list[str]:
        (m, f, a, s, g), dc, ec, de, ee = r
        return [
            str(m),
            "yes" if f else "no",
            str(a),
            f"{s:g}",
            "yes" if g else "no",
            f"{100 * dc / n_c:.1f}% ({dc})",
            f"{100 * ec / max(1, dc):.1f}% ({ec})",
            f"{100 * de / n_e:.1f}% ({de})",
            f"{100 * ee / max(1, de):.1f}% ({ee})",
        ]

    print(f"{n_c} calibration / {n_e} evaluation positions; every rule:")
    print(markdown([fmt(r) for r in rows], header))
    ok = [r for r in rows if r[1] >= args.min_coverage * n_c and r[2] >= args.target * r[1]]
    print(
        f"\nRules reaching {args.target:.0%} exact with ≥ {args.min_coverage:.0%} coverage on "
        "the calibration half (most coverage first), and their evaluation numbers:"
    )
    ok.sort(key=lambda r: (-r[1], -r[2]))
    print(markdown([fmt(r) for r in ok[:10]], header) if ok else "none")
    if args.show and ok:
        _, _, drafts = evaluate(found["evaluation"], evaluation, ok[0][0])
        shown = 0
        for p, d in zip(evaluation, drafts, strict=True):
            if d and shown < args.show:
                shown += 1
                line = p.text[p.text.rfind("\n", 0, p.offset) + 1 : p.offset]
                mark = "=" if d == p.target else "x"
                print(f"{mark} {line.strip()!r} -> {d!r} (target {p.target!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
