"""What this user accepted before, per context, so the dropdown learns their habits.

Context keys name *where* a completion was accepted, coarse enough to recur and fine enough to
mean something:

- ``member:type:list`` — a member of a receiver whose type we inferred,
- ``member:name:self.config`` — a member of a receiver whose type we do not know,
- ``expected:int`` — a name where an ``int`` is expected,
- ``scope:python:function`` — any other name, by language and innermost scope kind.

Each accept adds 1 to a score that decays with a half-life of :data:`HALF_LIFE_DAYS`, so a habit
keeps its weight for weeks but a one-off fades. The boost is ``log1p(score)`` (capped) so ten
accepts do not drown the other features. Entries live in the ``history`` store (persisted when
the cache directory works, in memory otherwise).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from glm_lsp.cache import Store

log = logging.getLogger(__name__)

HALF_LIFE_DAYS = 30.0
MAX_BOOST = 2.0
_MAX_NAMES_PER_KEY = 200


class AcceptHistory:
    """Decaying accept counts per (context key, name)."""

    def __init__(self, store: Store | None = None, clock: Callable[[], float] = time.time) -> None:
        self._store = store if store is not None else Store(None, "history")
        self._clock = clock
        self._lock = threading.Lock()

    def record(self, context_key: str, name: str) -> None:
        """Count one accept of ``name`` in ``context_key`` (never raises).

        A read-modify-write of the stored entry in one transaction: another server on the same
        cache directory (a second editor window) may have recorded accepts meanwhile, and an
        entry read earlier and written back would erase them.
        """
        if not context_key or not name:
            return
        now = self._clock()

        def add(value: Any) -> dict[str, tuple[float, float]]:
            entry = _parse(value)
            score, stamp = entry.get(name, (0.0, now))
            entry[name] = (self._decayed(score, stamp, now) + 1.0, now)
            if len(entry) > _MAX_NAMES_PER_KEY:
                weakest = min(entry, key=lambda n: self._decayed(*entry[n], now))
                del entry[weakest]
            return entry

        with self._lock:
            try:
                self._store.update(_key(context_key), add)
            except Exception:  # learning must never break completion
                log.exception("could not record accept history")

    def boost(self, context_key: str, name: str) -> float:
        """Boost in ``[0, MAX_BOOST]`` for ``name`` in ``context_key``; 0 when never accepted."""
        entry = self._entry(context_key)
        if name not in entry:
            return 0.0
        score, stamp = entry[name]
        return min(MAX_BOOST, math.log1p(self._decayed(score, stamp, self._clock())))

    def boosts(self, context_key: str) -> dict[str, float]:
        """All non-zero boosts of one context (one store read for a whole dropdown)."""
        now = self._clock()
        return {
            name: min(MAX_BOOST, math.log1p(self._decayed(score, stamp, now)))
            for name, (score, stamp) in self._entry(context_key).items()
        }

    def _entry(self, context_key: str) -> dict[str, tuple[float, float]]:
        try:
            value = self._store.get(_key(context_key))
        except Exception:
            log.exception("could not read accept history")
            return {}
        return _parse(value)

    @staticmethod
    def _decayed(score: float, stamp: float, now: float) -> float:
        days = max(0.0, now - stamp) / 86400.0
        return float(score * 0.5 ** (days / HALF_LIFE_DAYS))


def _parse(value: Any) -> dict[str, tuple[float, float]]:
    """A stored entry, whatever was stored (anything malformed reads as empty)."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, tuple[float, float]] = {}
    for k, v in value.items():
        if isinstance(v, (tuple, list)) and len(v) == 2:
            try:
                out[str(k)] = (float(v[0]), float(v[1]))
            except (TypeError, ValueError):
                continue
    return out


def _key(context_key: str) -> str:
    return f"accept:{context_key}"
