"""``glm-lsp models calibrate NAME|PATH [--workspace DIR]``: measure a model's confidence gate.

Why: a confidence score means something different for every model, so the gate's threshold is
measured per model, on code like the user's: lines are sampled from the workspace's Python files
(a random line, the cursor at a random column, the rest of the line deleted as if being typed),
each goes through the server's own ghost path (``GhostService.inline``: prompt, model,
post-processing, repair, scoring; gate open), and the threshold chosen is the lowest one at
which the suggestions shown are exactly the rest of the line at least ``--target`` of the time
(precision). It is written to the model's calibration file (``model/calibration.py``), which
``inline.minConfidence = "auto"`` reads.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glm_lsp.config import Settings
from glm_lsp.ghost.mode import choose_mode
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.service import GhostService
from glm_lsp.model.calibration import write_calibration
from glm_lsp.model.catalog import resolve_model
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import ParsedDocument, parse_text

SKIP_DIRS = {"node_modules", "site-packages", "__pycache__", "build", "dist", "venv"}
MIN_TARGET_CHARS = 3


@dataclass(frozen=True)
class Probe:
    """One cursor: ``text`` is the file with ``target`` (the rest of the line) deleted."""

    path: Path
    text: str
    offset: int
    target: str


@dataclass(frozen=True)
class Sample:
    """What the ghost path did at one probe (gate open: every suggestion scored)."""

    score: float | None
    text: str
    exact: bool
    similarity: float
    repaired: bool
    elapsed_ms: float
    why_none: str | None
    target: str = ""
    confidence: dict[str, Any] | None = None
    draft: dict[str, Any] | None = None


def python_files(root: Path, limit: int = 2000) -> list[Path]:
    """Python files under ``root``, hidden and vendored directories skipped, sorted."""
    out: list[Path] = []
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        out.extend(Path(base) / f for f in sorted(files) if f.endswith(".py"))
        if len(out) >= limit:
            break
    return out[:limit]


def _columns(line: str) -> range:
    body = line.rstrip()
    first = len(body) - len(body.lstrip())
    non_space = [i for i, ch in enumerate(body) if not ch.isspace()]
    if len(non_space) < MIN_TARGET_CHARS:
        return range(0)
    return range(first, non_space[-MIN_TARGET_CHARS] + 1)


def sample_probes(files: Sequence[Path], n: int, seed: int) -> list[Probe]:
    """``n`` cursors on random lines of ``files`` where the server would ask the model (not in
    a comment or a string); deterministic for a seed."""
    rng = random.Random(seed)
    spec = spec_for("python")
    lines: list[tuple[Path, str, int, int]] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        start = 0
        for line in text.split("\n"):
            if _columns(line):
                lines.append((path, text, start, len(line)))
            start += len(line) + 1
    rng.shuffle(lines)
    out: list[Probe] = []
    for path, text, start, length in lines:
        if len(out) >= n:
            break
        column = rng.choice(_columns(text[start : start + length]))
        offset = start + column
        target = text[offset : start + length].rstrip()
        cut = text[:offset] + text[start + length :]
        ctx = build_context(spec, cut, offset, parse_text(spec, cut) if spec else None)
        if choose_mode(ctx, "line") is not None:
            out.append(Probe(path, cut, offset, target))
    return out


def edit_similarity(a: str, b: str) -> float:
    """``1 - Levenshtein / max(len)``; 1.0 for two empty strings."""
    if len(a) < len(b):
        a, b = b, a
    if not a:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1.0 - previous[-1] / len(a)


async def probe(service: GhostService, p: Probe, tag: str = "") -> Sample:
    """The server's ghost text at ``p`` (LINE mode is the caller's setting)."""
    spec = spec_for("python")
    tree = parse_text(spec, p.text) if spec is not None else None
    uri = p.path.as_uri() + f"#{tag}"
    doc = ParsedDocument(uri, str(p.path), "python", spec, p.text, 1, tree)
    ctx = build_context(spec, p.text, p.offset, tree)
    out = GhostOutcome()
    started = time.perf_counter()
    shown = await service.inline(doc, p.offset, ctx, outcome=out)
    elapsed = (time.perf_counter() - started) * 1000.0
    text = shown[0].text.rstrip() if shown else ""
    score = out.confidence.get("score") if out.confidence else None
    return Sample(
        score=score,
        text=text,
        exact=bool(text) and text == p.target,
        similarity=edit_similarity(text, p.target) if text else 0.0,
        repaired=bool(out.repair and out.repair.get("shown")),
        elapsed_ms=elapsed,
        why_none=out.why_none,
        target=p.target,
        confidence=out.confidence,
        draft=out.draft,
    )


def pick_threshold(
    samples: Sequence[Sample], target: float, min_shown: int = 5
) -> tuple[float, int, float] | None:
    """The lowest threshold whose shown suggestions (score ≥ it) are exact at least ``target``
    of the time, with at least ``min_shown`` of them: ``(threshold, shown, precision)``.

    Lowest, because every higher threshold shows less; ``None`` when no threshold reaches the
    target (the model is not good enough on this code: say so rather than pick one)."""
    scored = sorted(
        (s for s in samples if s.score is not None and s.text), key=_score, reverse=True
    )
    best = None
    exact = 0
    for i, s in enumerate(scored, 1):
        exact += s.exact
        last = i == len(scored) or _score(scored[i]) < _score(s)  # ties enter together
        if last and i >= min_shown and exact / i >= target:
            best = (_score(s), i, exact / i)
    return best


def best_threshold(samples: Sequence[Sample], min_shown: int = 10) -> tuple[float, int, float]:
    """When no threshold reaches the target: the one whose shown suggestions (at least
    ``min_shown``) are most often exact, the lowest on ties. Showing a model's most precise few
    beats showing all of its noise; the calibration record says the target was not met."""
    scored = sorted(
        (s for s in samples if s.score is not None and s.text), key=_score, reverse=True
    )
    best = (1.0, 0, 0.0)
    exact = 0
    for i, s in enumerate(scored, 1):
        exact += s.exact
        last = i == len(scored) or _score(scored[i]) < _score(s)
        if last and i >= min_shown and exact / i >= best[2]:
            best = (_score(s), i, exact / i)
    return best


def _score(s: Sample) -> float:
    return s.score if s.score is not None else 0.0


def table(samples: Sequence[Sample], thresholds: Sequence[float]) -> list[list[str]]:
    """Per threshold: coverage (share of probes showing something), exact match and edit
    similarity of what is shown."""
    rows = []
    n = max(1, len(samples))
    for t in thresholds:
        shown = [s for s in samples if s.text and _score(s) >= t]
        k = max(1, len(shown))
        rows.append(
            [
                f"{t:g}",
                f"{len(shown)}",
                f"{100 * len(shown) / n:.1f}%",
                f"{100 * sum(s.exact for s in shown) / k:.1f}%",
                f"{sum(s.similarity for s in shown) / k:.3f}",
            ]
        )
    return rows


HEADER = ["threshold", "shown", "coverage", "exact match", "edit sim."]
THRESHOLDS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def open_gate_settings(model: Path, threads: int = 0) -> Settings:
    """The server's defaults, this model, LINE mode, the gate open (every suggestion scored)."""
    base = Settings()
    return dataclasses.replace(
        base,
        model=dataclasses.replace(base.model, path=str(model), threads=threads),
        inline=dataclasses.replace(base.inline, mode="line", min_confidence=0.0),
    )


async def run(settings: Settings, probes: Sequence[Probe]) -> list[Sample]:
    service = GhostService(settings)
    service.start()
    try:
        if not await service.wait_loaded(600):
            raise SystemExit(f"cannot load the model: {service.error or service.state}")
        return [await probe(service, p, str(i)) for i, p in enumerate(probes)]
    finally:
        service.close()


def markdown(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="glm-lsp models calibrate", description=__doc__)
    parser.add_argument("model", help="a catalog name or a GGUF path")
    parser.add_argument("--workspace", type=Path, default=Path.cwd())
    parser.add_argument("--n", type=int, default=300, help="lines to sample")
    parser.add_argument("--target", type=float, default=0.25, help="precision to reach")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--dry-run", action="store_true", help="measure, write nothing")
    args = parser.parse_args(argv)
    path = resolve_model(args.model)
    if path is None or not path.is_file():
        sys.stderr.write(f"no model file for {args.model!r} (glm-lsp models list)\n")
        return 2
    probes = sample_probes(python_files(args.workspace.resolve()), args.n, args.seed)
    if not probes:
        sys.stderr.write(f"no Python lines to sample under {args.workspace}\n")
        return 2
    samples = asyncio.run(run(open_gate_settings(path, args.threads), probes))
    print(f"{path.name}: {len(probes)} lines from {args.workspace}")
    print(markdown(table(samples, THRESHOLDS), HEADER))
    chosen = pick_threshold(samples, args.target)
    met = chosen is not None
    if chosen is None:
        chosen = best_threshold(samples)
        print(
            f"no threshold reaches {args.target:.0%} exact match on this code; the most precise "
            "one is used instead (the model's best few, not its noise)"
        )
    threshold, shown, precision = chosen
    print(
        f"threshold {threshold:.4g}: {shown} of {len(samples)} shown "
        f"({shown / len(samples):.1%}), exact match {precision:.1%}"
    )
    if not args.dry_run:
        record = {
            "min_confidence": round(threshold, 6),
            "target_precision": args.target,
            "target_met": met,
            "precision": round(precision, 4),
            "coverage": round(shown / len(samples), 4),
            "lines": len(samples),
            "workspace": str(args.workspace.resolve()),
            "measured": time.strftime("%Y-%m-%d"),
        }
        print(f"written to {write_calibration(path, record)}")
    return 0
