"""Store misses are remembered in memory (they sit on the completion path), never stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glm_lsp.cache import Store


class CountingDisk:
    """Stands in for diskcache and counts reads."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.reads = 0

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value

    def close(self) -> None:
        pass


def test_miss_reads_disk_once_and_a_later_set_is_seen(tmp_path: Path) -> None:
    store = Store(None, "t")
    disk = CountingDisk()
    store._disk = disk
    assert store.get("k", "dflt") == "dflt"
    assert store.get("k", "dflt") == "dflt"
    assert store.get("k") is None
    assert disk.reads == 1
    store.set("k", 5)
    assert store.get("k") == 5
    assert disk.reads == 1


def test_real_disk_store_round_trip_after_miss(tmp_path: Path) -> None:
    store = Store(tmp_path, "t")
    assert store.get("a") is None
    store.set("a", [1, 2])
    assert store.get("a") == [1, 2]
    store.close()
    again = Store(tmp_path, "t")
    assert again.get("a") == [1, 2]
