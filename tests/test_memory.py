"""Freed memory goes back to the system after a big document goes (memory.py)."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from glm_lsp import memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_runs_on_glibc() -> None:
    assert memory.trim()


def test_release_soon_coalesces_into_one_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    done = threading.Event()

    def fake(pad: int) -> int:
        calls.append(pad)
        done.set()
        return 1

    monkeypatch.setattr(memory, "_trim", fake)
    for _ in range(5):
        memory.release_soon(delay=0.05)
    assert done.wait(5)
    time.sleep(0.1)
    assert calls == [0]
    memory.release_soon(delay=0.01)  # a later event gets a trim of its own
    deadline = time.monotonic() + 5
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls == [0, 0]


def test_no_trim_where_there_is_no_malloc_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_trim", None)
    assert not memory.trim()
    memory.release_soon(delay=0.0)  # nothing scheduled, nothing raised
    assert memory._timer is None


def test_usage_sees_memory_being_taken() -> None:
    before = memory.usage()
    assert set(before) == {"rss_kb", "heap_in_use_kb", "python_blocks"}
    if not sys.platform.startswith("linux") or memory._malloc_trim() is None:
        pytest.skip("RSS and heap in use are read from Linux and glibc")
    held = [bytearray(1024 * 1024) for _ in range(32)]  # 32 MB from malloc, touched
    after = memory.usage()
    assert isinstance(before["heap_in_use_kb"], int) and isinstance(after["heap_in_use_kb"], int)
    assert after["heap_in_use_kb"] - before["heap_in_use_kb"] >= 30 * 1024
    assert isinstance(after["rss_kb"], int) and after["rss_kb"] > 30 * 1024
    del held
