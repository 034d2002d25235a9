"""The trace summarized: latency per feature and model, acceptance, what post-processing rejects.

One computation serves ``glm-lsp trace stats`` (a terminal table) and the page's summary
section (the same numbers as JSON), so the two can never disagree.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``latency`` rows per (feature, model), ``acceptance`` per language / mode / model,
    ``rules`` (rejected / changed counts), ``why_none`` reasons."""
    requests = [r for r in records if r.get("kind") in ("completion", "inline")]
    latency: dict[tuple[str, str], list[float]] = defaultdict(list)
    offered: dict[tuple[str, str], int] = Counter()
    accepted: dict[tuple[str, str], int] = Counter()
    partial: dict[tuple[str, str], int] = Counter()
    rejected: Counter[str] = Counter()
    changed: Counter[str] = Counter()
    why_none: Counter[str] = Counter()
    for rec in requests:
        kind = str(rec["kind"])
        model = model_of(rec)
        latency[(kind, model)].append(float(rec.get("total_ms", 0.0)))
        ghost = rec.get("model") or {}
        for step in ghost.get("steps") or []:
            (rejected if step.get("rejected") else changed)[str(step.get("rule"))] += 1
        if kind == "inline" and not (rec.get("result") or {}).get("shown"):
            why_none[str((rec.get("result") or {}).get("why_none") or "unknown")] += 1
        if not _offered(rec):
            continue
        accepts = rec.get("accepts") or []
        language = str((rec.get("context") or {}).get("language") or "text")
        mode = "dropdown" if kind == "completion" else str(ghost.get("mode") or "?")
        for key in (("language", language), ("mode", mode), ("model", model)):
            offered[key] += 1
            if accepts:
                accepted[key] += 1
                if any(a.get("partial") for a in accepts):
                    partial[key] += 1
    return {
        "requests": len(requests),
        "accepts": sum(1 for r in records if r.get("kind") == "accept"),
        "latency": [
            {
                "feature": kind,
                "model": model,
                "count": len(values),
                "p50": round(percentile(values, 50), 2),
                "p95": round(percentile(values, 95), 2),
                "p99": round(percentile(values, 99), 2),
                "max": round(max(values), 2),
            }
            for (kind, model), values in sorted(latency.items())
        ],
        "acceptance": [
            {
                "by": by,
                "value": value,
                "offered": n,
                "accepted": accepted[(by, value)],
                "partial": partial[(by, value)],
                "rate": round(accepted[(by, value)] / n, 3) if n else 0.0,
            }
            for (by, value), n in sorted(offered.items())
        ],
        "rules": [
            {"rule": rule, "rejected": rejected[rule], "changed": changed[rule]}
            for rule in sorted(set(rejected) | set(changed), key=lambda r: (-rejected[r], r))
        ],
        "why_none": [{"reason": k, "count": v} for k, v in why_none.most_common()],
    }


def model_of(rec: dict[str, Any]) -> str:
    """Which model served a request: its name, or ``static`` for a dropdown without one."""
    ghost = rec.get("model")
    if isinstance(ghost, dict) and ghost.get("model"):
        return str(ghost["model"])
    return "static" if rec.get("kind") == "completion" else "(none)"


def _offered(rec: dict[str, Any]) -> bool:
    result = rec.get("result") or {}
    if rec.get("kind") == "inline":
        return bool(result.get("shown"))
    return int(result.get("items") or 0) > 0


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as terminal tables (``glm-lsp trace stats``)."""
    parts = [f"{summary['requests']} requests, {summary['accepts']} accepts"]
    parts.append(
        _table(
            "latency (ms)",
            ["feature", "model", "n", "p50", "p95", "p99", "max"],
            [
                [r["feature"], r["model"], r["count"], r["p50"], r["p95"], r["p99"], r["max"]]
                for r in summary["latency"]
            ],
        )
    )
    parts.append(
        _table(
            "acceptance",
            ["by", "value", "offered", "accepted", "partial", "rate"],
            [
                [r["by"], r["value"], r["offered"], r["accepted"], r["partial"], f"{r['rate']:.0%}"]
                for r in summary["acceptance"]
            ],
        )
    )
    parts.append(
        _table(
            "post-processing rules",
            ["rule", "rejected", "changed"],
            [[r["rule"], r["rejected"], r["changed"]] for r in summary["rules"]],
        )
    )
    parts.append(
        _table(
            "why no ghost text",
            ["reason", "count"],
            [[r["reason"], r["count"]] for r in summary["why_none"]],
        )
    )
    return "\n\n".join(parts)


def _table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return f"{title}: none"
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title]
    for n, row in enumerate(cells):
        text = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        lines.append(("  " + text).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)
