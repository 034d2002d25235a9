"""Reading the trace back: every record of the trace directory, oldest first, accepts joined.

A line that does not parse (a file cut by a crash, a newer version's record) is skipped, not
fatal: the view of the rest is still worth having.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from glm_lsp.cache import default_cache_dir
from glm_lsp.trace.writer import FILE_GLOB

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def trace_dir(cache_dir: str | Path | None = None) -> Path:
    """``<cache dir>/trace``: ``cache.dir`` when given, else the per-user default."""
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    return root / "trace"


def parse_since(text: str | None, now: float | None = None) -> float | None:
    """``--since``: a duration back from now (``30m``, ``2h``, ``1d``) or an ISO date/time;
    ``None`` for everything. Raises ``ValueError`` with a readable message otherwise."""
    if not text:
        return None
    now = time.time() if now is None else now
    m = _DURATION.match(text)
    if m:
        return now - float(m.group(1)) * _UNITS[m.group(2)]
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise ValueError(
            f"--since {text!r}: expected a duration like 30m, 2h, 1d or a date like 2026-01-31"
        ) from None


def read_records(directory: Path, since: float | None = None) -> list[dict[str, Any]]:
    """Every record in ``directory`` at or after ``since``, in time order; each request gets
    ``accepts`` (its accept records) from the accept records that name it."""
    records = [r for r in _lines(sorted(directory.glob(FILE_GLOB))) if _after(r, since)]
    records.sort(key=lambda r: float(r.get("ts", 0.0)))
    by_id = {r["id"]: r for r in records if r.get("kind") != "accept" and "id" in r}
    for rec in records:
        if rec.get("kind") == "accept":
            target = by_id.get(str(rec.get("ref", "")))
            if target is not None:
                target.setdefault("accepts", []).append(rec)
    return records


def _lines(paths: Iterable[Path]) -> Iterable[dict[str, Any]]:
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("kind"), str):
                yield rec


def _after(rec: dict[str, Any], since: float | None) -> bool:
    if since is None:
        return True
    ts = rec.get("ts")
    return isinstance(ts, (int, float)) and ts >= since
