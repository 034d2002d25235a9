"""The stores must persist across instances and degrade to memory on a broken directory."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import diskcache
import pytest

from glm_lsp.cache import MemoryLRU, Store, Stores


def test_store_persists_across_instances(tmp_path: Path) -> None:
    first = Store(tmp_path, "t")
    first.set("k", {"a": 1})
    first.close()
    second = Store(tmp_path, "t")
    assert second.persistent
    assert second.get("k") == {"a": 1}
    assert second.get("missing", "dflt") == "dflt"


def test_cache_root_is_private(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    Stores(root).close()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_unusable_path_falls_back_to_memory(tmp_path: Path) -> None:
    # A regular file where the cache directory should be: works as root too.
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = Store(blocker, "t")
    store.set("k", 2)
    assert store.get("k") == 2
    assert not store.persistent
    assert store.error is not None and "memory" in store.error


def test_corrupt_cache_db_is_moved_aside_and_recreated(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "cache.db").write_bytes(b"this is not sqlite" * 100)
    store = Store(tmp_path, "t")
    store.set("k", 3)
    assert store.get("k") == 3
    assert store.persistent and store.error is None
    store.close()
    assert Store(tmp_path, "t").get("k") == 3  # persisted in the new database
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("t.corrupt-")]
    assert len(aside) == 1 and (aside[0] / "cache.db").read_bytes().startswith(b"this is not")


def test_unreadable_value_is_dropped_and_the_store_stays_persistent(tmp_path: Path) -> None:
    store = Store(tmp_path, "t")
    store.set("bad", {"x": 1})
    store.set("good", [1, 2])
    store.close()
    with sqlite3.connect(tmp_path / "t" / "cache.db") as db:  # a pickle cut short
        db.execute("UPDATE Cache SET value = ? WHERE key = ?", (b"\x80\x04\x95", "bad"))
    for _ in range(2):  # at every start, not only the first
        again = Store(tmp_path, "t")
        assert again.get("bad", "dflt") == "dflt"
        assert again.persistent
        assert again.get("good") == [1, 2]
        again.set("new", 7)
        again.close()
    assert Store(tmp_path, "t").get("new") == 7


def test_cache_dir_and_missing_parents_are_created_private(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "cache"
    Stores(root).close()
    for directory in (tmp_path / "a", tmp_path / "a" / "b", root):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory


def test_cache_dir_owned_by_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """diskcache unpickles values: a directory someone else can write could run their code."""
    first = Stores(tmp_path / "cache")
    first.history.set("k", 1)
    first.close()
    monkeypatch.setattr(os, "getuid", lambda: os.stat(tmp_path).st_uid + 1)
    stores = Stores(tmp_path / "cache")
    assert not stores.history.persistent and not stores.index.persistent
    assert stores.history.get("k") is None  # nothing read from it
    errors = stores.errors()
    assert len(errors) == 3 and all("owned by uid" in e for e in errors)
    stores.history.set("k", 2)  # the server keeps serving, from memory
    assert stores.history.get("k") == 2


def test_memory_lru_evicts_least_recent() -> None:
    lru = MemoryLRU(capacity=2)
    lru.set("a", 1)
    lru.set("b", 2)
    assert lru.get("a") == 1  # touch a: b is now least recent
    lru.set("c", 3)
    assert lru.get("b") is None
    assert lru.get("a") == 1 and lru.get("c") == 3


class _ReadOnlyAfter:
    """A ``diskcache.Cache`` stand-in whose writes fail like a read-only SQLite file (root
    ignores chmod, so a real read-only directory cannot be made in CI)."""

    def __init__(self, ok_writes: int) -> None:
        self.ok_writes = ok_writes
        self.data: dict[str, object] = {}

    def __call__(self, *_args: object, **_kwargs: object) -> _ReadOnlyAfter:
        return self

    def set(self, key: str, value: object) -> None:
        if self.ok_writes <= 0:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        self.ok_writes -= 1
        self.data[key] = value

    def get(self, key: str, default: object = None) -> object:
        return self.data.get(key, default)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("ok_writes", [0, 3])
def test_read_only_cache_degrades_to_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ok_writes: int
) -> None:
    # 0: read-only from the start (the open-time probe fails); 3: becomes read-only later.
    monkeypatch.setattr(diskcache, "Cache", _ReadOnlyAfter(ok_writes))
    store = Store(tmp_path, "t")
    for i in range(5):
        store.set(f"k{i}", i)
    assert [store.get(f"k{i}") for i in range(5)] == [0, 1, 2, 3, 4]
    assert not store.persistent
    assert store.error is not None and "readonly" in store.error
