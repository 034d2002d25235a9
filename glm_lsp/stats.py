"""Counters and latency samples behind the ``glm-lsp.stats`` command.

The server records what it does here; the index and the model service report their own numbers
through *sources* (callables returning one section each) so this module stays independent of
them. A snapshot always has the full documented shape with zeros where nothing ran yet, so a
client or a benchmark can read any key without checking first.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

SAMPLES = 2048
"""Latency samples kept per operation; old ones are dropped so percentiles track the present."""

Source = Callable[[], dict[str, Any]]


def empty_snapshot() -> dict[str, dict[str, Any]]:
    """The documented shape of ``glm-lsp.stats`` with nothing recorded."""
    return {
        "completion": {"requests": 0, "p50_ms": 0.0, "p95_ms": 0.0},
        "resolve": {"requests": 0},
        "accepted": {"count": 0},
        "index": {"files": 0, "symbols": 0},
        "inline": {"requests": 0, "cancelled": 0, "p50_ms": 0.0, "p95_ms": 0.0},
        "model": {
            "loaded": False,
            "path": None,
            "gpu_layers": 0,
            "prompt_tokens_evaluated": 0,
            "prompt_tokens_reused": 0,
            "generated_tokens": 0,
        },
        "cache": {"hits": 0, "misses": 0},
        "errors": {"count": 0},
    }


def percentile(samples: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``samples``; 0.0 for no samples."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class Stats:
    """Thread-safe counters; one instance per server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._latency: dict[str, deque[float]] = {}
        self._sources: dict[str, tuple[str | None, Source]] = {}

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name`` (``"section.key"``, e.g. ``"inline.cancelled"``)."""
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + n

    def observe(self, operation: str, elapsed_ms: float) -> None:
        """One request of ``operation`` took ``elapsed_ms``; also counts the request."""
        with self._lock:
            self._counts[f"{operation}.requests"] = self._counts.get(f"{operation}.requests", 0) + 1
            samples = self._latency.get(operation)
            if samples is None:
                samples = self._latency[operation] = deque(maxlen=SAMPLES)
            samples.append(elapsed_ms)

    def add_source(self, name: str, source: Source, section: str | None = None) -> None:
        """Merge ``source()`` into every snapshot.

        With ``section`` the source returns that one section's keys (the index's
        ``{"files", "symbols"}``); without, it returns whole sections
        (``{"model": {...}, "cache": {...}}``), which suits a service that reports on several.
        Registering the same ``name`` again replaces the source (e.g. after a settings change).
        """
        with self._lock:
            self._sources[name] = (section, source)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """The ``glm-lsp.stats`` JSON object."""
        out = empty_snapshot()
        with self._lock:
            counts = dict(self._counts)
            latency = {op: list(s) for op, s in self._latency.items()}
            sources = dict(self._sources)
        for name, value in counts.items():
            head, _, key = name.partition(".")
            out.setdefault(head, {})[key] = value
        for op, samples in latency.items():
            timings = out.setdefault(op, {})
            timings["p50_ms"] = round(percentile(samples, 50), 3)
            timings["p95_ms"] = round(percentile(samples, 95), 3)
        for name, (section, source) in sources.items():
            try:
                extra = source()
            except Exception:  # a failing source must not break the command
                log.exception("stats source %r failed", name)
                continue
            if not isinstance(extra, dict):
                continue
            if section is not None:
                out.setdefault(section, {}).update(extra)
                continue
            for key, value in extra.items():
                if isinstance(value, dict):
                    out.setdefault(key, {}).update(value)
        return out
