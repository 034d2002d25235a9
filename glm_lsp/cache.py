"""Persistent stores (diskcache) with an in-memory fallback.

Everything cached here can be rebuilt, so a corrupt, locked or read-only cache directory must
never stop the server: we log once, switch that store to memory and keep serving. The directory
is created ``0700`` because completions and accept history reveal what the user is writing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """Per-user cache dir following XDG / platform conventions."""
    env = os.environ.get("GLM_LSP_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "glm-lsp"


class MemoryLRU:
    """Small thread-safe LRU used for hot results and as the fallback store."""

    def __init__(self, capacity: int = 4096) -> None:
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)


class Store:
    """A named persistent key/value store; falls back to memory on any cache failure."""

    def __init__(self, root: Path | None, name: str, size_limit: int = 512 * 2**20) -> None:
        self.name = name
        self._memory = MemoryLRU(8192)
        self._disk: Any = None
        self.error: str | None = None
        if root is None:
            return
        try:
            import diskcache

            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            _make_private(root)
            self._disk = diskcache.Cache(str(root / name), size_limit=size_limit)
            # A read-only or corrupt cache often opens fine and fails on first write: probe it.
            self._disk.set("__probe__", 1)
        except Exception as exc:  # any cache failure degrades to memory
            self._fail(exc)

    @property
    def persistent(self) -> bool:
        return self._disk is not None

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = f"cache '{self.name}' unavailable ({exc}); using memory only"
            log.warning(self.error)
        disk, self._disk = self._disk, None
        if disk is not None:
            with contextlib.suppress(Exception):
                disk.close()

    def get(self, key: str, default: Any = None) -> Any:
        value = self._memory.get(key, _MISSING)
        if value is _ABSENT:
            return default
        if value is not _MISSING:
            return value
        if self._disk is not None:
            try:
                value = self._disk.get(key, _MISSING)
            except Exception as exc:
                self._fail(exc)
                return default
            if value is not _MISSING:
                self._memory.set(key, value)
                return value
            # Remember the miss: lookups of absent keys sit on the completion path and asking
            # SQLite again costs milliseconds each time. This process is the only writer.
            self._memory.set(key, _ABSENT)
        return default

    def set(self, key: str, value: Any) -> None:
        self._memory.set(key, value)
        if self._disk is not None:
            try:
                self._disk.set(key, value)
            except Exception as exc:
                self._fail(exc)

    def close(self) -> None:
        if self._disk is not None:
            with contextlib.suppress(Exception):
                self._disk.close()


_MISSING = object()
_ABSENT = object()


def _make_private(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)


class Stores:
    """The server's stores, all under one private root (``cache.dir`` or the default)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.index = Store(root, "index")  # per-file symbols + frequencies keyed by content hash
        self.history = Store(root, "history", size_limit=64 * 2**20)  # accepted completions
        self.results = Store(root, "results")  # model outputs

    def errors(self) -> list[str]:
        return [s.error for s in (self.index, self.history, self.results) if s.error]

    def close(self) -> None:
        for store in (self.index, self.history, self.results):
            store.close()
