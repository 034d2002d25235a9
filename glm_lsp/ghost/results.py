"""Model results served without a model call: an exact-prompt cache and typed-ahead reuse.

- :class:`ResultCache`: generation text keyed by everything that determines it (model file
  hash, template version, the exact prompt, the sampling parameters). A persistent
  ``glm_lsp.cache.Store`` (diskcache, already fronted by its own LRU) when there is one, a
  memory LRU otherwise; a broken disk cache degrades to memory inside ``Store``.
- :class:`TypeAhead`: while the user types the start of the suggestion on screen, the rest of
  it is still the answer; no prompt is built and no model is asked. An entry holds on only while
  the text before the suggestion's anchor and the text after the cursor are unchanged
  (compared by length and hash), so an edit anywhere else drops it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glm_lsp.cache import MemoryLRU, Store


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def cache_key(model_id: str, template_version: str, prompt: str, params: Mapping[str, Any]) -> str:
    """Stable key: a change in any input that changes the output changes the key."""
    payload = json.dumps(
        [model_id, template_version, prompt, dict(sorted(params.items()))],
        ensure_ascii=False,
        default=str,
    )
    return "gen:" + hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


class ResultCache:
    """Exact-prompt results with hit/miss counters (reported by ``glm-lsp.stats``)."""

    def __init__(self, store: Store | None = None, capacity: int = 2048) -> None:
        self._store = store
        self._memory = MemoryLRU(capacity)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, count: bool = True) -> str | None:
        """The cached text; ``count=False`` for side entries (the gate's log-probabilities)
        that must not skew the hit rate."""
        value: Any = self._memory.get(key)
        if value is None and self._store is not None:
            value = self._store.get(key)
            if isinstance(value, str):
                self._memory.set(key, value)
        found = value if isinstance(value, str) else None
        if not count:
            return found
        with self._lock:
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
        return found

    def put(self, key: str, text: str) -> None:
        self._memory.set(key, text)
        if self._store is not None:
            self._store.set(key, text)


@dataclass(frozen=True)
class _Shown:
    uri: str
    anchor: int  # offset where the suggestion starts
    text: str  # the whole suggestion
    before_len: int
    before_hash: str  # of document[:anchor]
    after_len: int
    after_hash: str  # of document[anchor:] when it was shown (the suffix)


class TypeAhead:
    """The last few suggestions shown, per document, for typed-ahead reuse."""

    def __init__(self, capacity: int = 16) -> None:
        self._entries: deque[_Shown] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self.hits = 0

    def remember(self, uri: str, document: str, anchor: int, suggestion: str) -> None:
        if not suggestion:
            return
        before, after = document[:anchor], document[anchor:]
        entry = _Shown(
            uri, anchor, suggestion, len(before), _digest(before), len(after), _digest(after)
        )
        with self._lock:
            if entry not in self._entries:
                self._entries.append(entry)

    def lookup(self, uri: str, document: str, offset: int) -> tuple[int, str] | None:
        """``(anchor, rest)`` when the user has typed a strict prefix of a remembered
        suggestion at ``offset``: ``rest`` is what remains to show from ``offset``."""
        with self._lock:
            entries = [e for e in reversed(self._entries) if e.uri == uri]
        for e in entries:
            typed_len = offset - e.anchor
            if not 0 <= typed_len < len(e.text) or e.before_len != e.anchor:
                continue
            if len(document) - offset != e.after_len:
                continue
            if document[e.anchor : offset] != e.text[:typed_len]:
                continue
            if _digest(document[offset:]) != e.after_hash:
                continue
            if _digest(document[: e.anchor]) != e.before_hash:
                continue
            with self._lock:
                self.hits += 1
            return e.anchor, e.text[typed_len:]
        return None

    def forget(self, uri: str) -> None:
        with self._lock:
            kept = [e for e in self._entries if e.uri != uri]
            self._entries.clear()
            self._entries.extend(kept)
