"""Persistent stores (diskcache) with an in-memory fallback.

Everything cached here can be rebuilt, so a corrupt, locked or read-only cache directory must
never stop the server: a corrupt database is moved aside and recreated, an unreadable value
dropped, and what still fails switches that store to memory (logged once) while serving goes on.
The directory is created ``0700`` because completions and accept history reveal what the user
is writing, and one owned by another user is refused: diskcache unpickles its values.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
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
    """A named persistent key/value store; falls back to memory when the disk cannot be used.

    A corrupt database is moved aside and recreated, and a value that cannot be read is
    deleted: one bad byte must not cost the persistence of everything else. A ``shared`` store
    is written by every server on the cache directory (two editor windows): its misses are not
    remembered, and :meth:`update` is a read-modify-write in one transaction.
    """

    def __init__(
        self,
        root: Path | None,
        name: str,
        size_limit: int = 512 * 2**20,
        *,
        shared: bool = False,
    ) -> None:
        self.name = name
        self.shared = shared
        self._memory = MemoryLRU(8192)
        self._disk: Any = None
        self._root = root
        self._size_limit = size_limit
        self.error: str | None = None
        self._bad_values = 0
        if root is None:
            return
        try:
            make_private_dir(root)
        except (OSError, PermissionError) as exc:
            self._fail(exc)
            return
        try:
            self._open()
        except Exception as exc:  # any cache failure degrades to memory
            if not (_is_corrupt(exc) and self._recreate(exc)):
                self._fail(exc)

    def _open(self) -> None:
        import diskcache

        assert self._root is not None
        directory = self._root / self.name
        if directory.exists():
            check_owner(directory)
        self._disk = diskcache.Cache(str(directory), size_limit=self._size_limit)
        # A read-only or corrupt cache often opens fine and fails on first write: probe it.
        self._disk.set("__probe__", 1)

    def _recreate(self, exc: BaseException) -> bool:
        """Move the corrupt database aside and start an empty one; True when that worked."""
        disk, self._disk = self._disk, None
        if disk is not None:
            with contextlib.suppress(Exception):
                disk.close()
        if self._root is None:
            return False
        directory = self._root / self.name
        aside = directory.with_name(f"{self.name}.corrupt-{int(time.time())}-{os.getpid()}")
        try:
            if directory.exists():
                directory.rename(aside)
            self._open()
        except Exception as again:
            self._disk = None
            self._fail(again)
            return False
        log.warning(
            "cache '%s' was corrupt (%s): moved it to %s and started an empty one",
            self.name,
            exc,
            aside,
        )
        self._memory = MemoryLRU(8192)
        return True

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

    def _disk_failed(self, exc: BaseException) -> None:
        """A database error: recreate a corrupt database, else continue in memory."""
        if not (_is_corrupt(exc) and self._recreate(exc)):
            self._fail(exc)

    def _bad_value(self, key: str, exc: BaseException) -> None:
        """A value that cannot be read (unpickling failed): forget it, keep the store."""
        self._bad_values += 1
        if self._bad_values == 1:
            log.warning("cache '%s': dropped an unreadable value (%s)", self.name, exc)
        disk = self._disk
        if disk is not None:
            try:
                disk.delete(key)
            except Exception as again:
                self._disk_failed(again)

    def get(self, key: str, default: Any = None) -> Any:
        value = self._memory.get(key, _MISSING)
        if value is _ABSENT:
            return default
        if value is not _MISSING:
            return value
        if self._disk is not None:
            try:
                value = self._disk.get(key, _MISSING)
            except sqlite3.Error as exc:
                self._disk_failed(exc)
                return default
            except Exception as exc:  # unpickling (or reading the file of) one value
                self._bad_value(key, exc)
                return default
            if value is not _MISSING:
                self._memory.set(key, value)
                return value
            if not self.shared:
                # Remember the miss: lookups of absent keys sit on the completion path and
                # asking SQLite again costs milliseconds each time. Another server on the same
                # directory may write a shared store's keys, so its misses are not remembered.
                self._memory.set(key, _ABSENT)
        return default

    def set(self, key: str, value: Any) -> None:
        self._memory.set(key, value)
        if self._disk is not None:
            try:
                self._disk.set(key, value)
            except Exception as exc:
                self._disk_failed(exc)
                if self._disk is not None:  # recreated: write it again
                    with contextlib.suppress(Exception):
                        self._disk.set(key, value)

    def update(self, key: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        """Store ``change(current value)`` and return it. On disk the read and the write are one
        transaction, so an update made meanwhile by another process is never lost."""
        disk = self._disk
        if disk is not None:
            try:
                with disk.transact():
                    value = change(self._read_in_transaction(disk, key, default))
                    disk.set(key, value)
            except (sqlite3.Error, OSError) as exc:  # the database, not the change, failed
                self._disk_failed(exc)
            else:
                self._memory.set(key, value)
                return value
        current = self._memory.get(key, _MISSING)
        value = change(default if current is _MISSING or current is _ABSENT else current)
        self.set(key, value)
        return value

    def _read_in_transaction(self, disk: Any, key: str, default: Any) -> Any:
        try:
            return disk.get(key, default)
        except sqlite3.Error:
            raise
        except Exception as exc:  # an unreadable value: it is replaced by the update
            self._bad_values += 1
            log.warning("cache '%s': replaced an unreadable value (%s)", self.name, exc)
            return default

    def close(self) -> None:
        if self._disk is not None:
            with contextlib.suppress(Exception):
                self._disk.close()


_MISSING = object()
_ABSENT = object()


def _is_corrupt(exc: BaseException) -> bool:
    """SQLite's "file is not a database" / "database disk image is malformed" (not a locked or
    read-only database, which moving aside would not fix)."""
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


class ForeignCacheDir(PermissionError):
    """The cache directory belongs to another user: its pickled values could run their code."""


def check_owner(path: Path) -> None:
    """Raise :class:`ForeignCacheDir` when ``path`` is owned by another user (POSIX only)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return
    owner = path.stat().st_uid
    if owner != getuid():
        raise ForeignCacheDir(
            f"{path} is owned by uid {owner}, not by this user (uid {getuid()}); cached values "
            "are unpickled, so it is not used: set cache.dir to a directory of your own"
        )


def make_private_dir(root: Path) -> None:
    """Create ``root`` (and missing parents) mode 0700, check its owner and make it 0700."""
    missing: list[Path] = []
    path = root
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    check_owner(root)
    _make_private(root)


def _make_private(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)


class Stores:
    """The server's stores, all under one private root (``cache.dir`` or the default)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.index = Store(root, "index")  # per-file symbols + frequencies keyed by content hash
        # Accepted completions, written by every server on this directory (editor windows).
        self.history = Store(root, "history", size_limit=64 * 2**20, shared=True)
        self.results = Store(root, "results")  # model outputs

    def errors(self) -> list[str]:
        return [s.error for s in (self.index, self.history, self.results) if s.error]

    def close(self) -> None:
        for store in (self.index, self.history, self.results):
            store.close()
