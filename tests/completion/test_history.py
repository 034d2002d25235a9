"""Accept history: per-context, decaying, persisted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from glm_lsp.cache import Store, Stores
from glm_lsp.completion.history import HALF_LIFE_DAYS, MAX_BOOST, AcceptHistory

DAY = 86400.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_unseen_name_has_no_boost() -> None:
    assert AcceptHistory().boost("member:type:list", "append") == 0.0


def test_accept_boosts_only_its_context() -> None:
    history = AcceptHistory()
    history.record("member:type:list", "append")
    assert history.boost("member:type:list", "append") > 0.0
    assert history.boost("member:type:dict", "append") == 0.0
    assert history.boost("member:type:list", "extend") == 0.0


def test_more_accepts_more_boost_but_capped() -> None:
    history = AcceptHistory()
    boosts = []
    for _ in range(50):
        history.record("expected:int", "count")
        boosts.append(history.boost("expected:int", "count"))
    assert boosts[0] < boosts[1] < boosts[5]
    assert boosts[-1] <= MAX_BOOST
    assert boosts[1] - boosts[0] > boosts[-1] - boosts[-2]  # diminishing returns


def test_boost_decays_gently() -> None:
    clock = Clock()
    history = AcceptHistory(clock=clock)
    for _ in range(3):
        history.record("scope:python:function", "result")
    fresh = history.boost("scope:python:function", "result")
    clock.now += DAY
    one_day = history.boost("scope:python:function", "result")
    clock.now += HALF_LIFE_DAYS * 4 * DAY
    months = history.boost("scope:python:function", "result")
    assert fresh > one_day > months > 0.0
    assert one_day > 0.95 * fresh  # a day barely matters
    assert months < 0.5 * fresh  # months do


def test_boosts_returns_the_whole_context() -> None:
    history = AcceptHistory()
    history.record("k", "a")
    history.record("k", "b")
    history.record("k", "b")
    boosts = history.boosts("k")
    assert set(boosts) == {"a", "b"}
    assert boosts["b"] > boosts["a"]


def test_persisted_across_instances(tmp_path: Path) -> None:
    first = Store(tmp_path, "history")
    AcceptHistory(first).record("member:name:self.config", "get")
    first.close()
    second = Store(tmp_path, "history")
    assert AcceptHistory(second).boost("member:name:self.config", "get") > 0.0
    second.close()


@pytest.mark.parametrize(("key", "name"), [("", "x"), ("k", "")])
def test_empty_key_or_name_is_ignored(key: str, name: str) -> None:
    history = AcceptHistory()
    history.record(key, name)
    assert history.boosts(key) == {}


def test_corrupt_entry_reads_as_empty() -> None:
    store = Store(None, "history")
    store.set("accept:k", "not a dict")
    assert AcceptHistory(store).boost("k", "x") == 0.0


def test_two_servers_on_one_cache_directory_lose_nothing(tmp_path: Path) -> None:
    """Two editor windows: A writes alpha, B beta, A gamma; the disk holds all three."""
    a, b = Stores(tmp_path), Stores(tmp_path)
    history_a, history_b = AcceptHistory(a.history), AcceptHistory(b.history)
    history_a.record("k", "alpha")
    history_b.record("k", "beta")
    history_a.record("k", "gamma")
    a.close()
    b.close()
    fresh = Stores(tmp_path)
    assert set(AcceptHistory(fresh.history).boosts("k")) == {"alpha", "beta", "gamma"}
    fresh.close()


def test_a_shared_store_does_not_remember_misses(tmp_path: Path) -> None:
    a, b = Stores(tmp_path), Stores(tmp_path)
    history_a, history_b = AcceptHistory(a.history), AcceptHistory(b.history)
    assert history_a.boosts("k") == {}  # a miss...
    history_b.record("k", "beta")
    assert set(history_a.boosts("k")) == {"beta"}  # ...is asked again
    a.close()
    b.close()


_WRITER = """
import sys
from pathlib import Path
from glm_lsp.cache import Stores
from glm_lsp.completion.history import AcceptHistory
stores = Stores(Path(sys.argv[1]))
history = AcceptHistory(stores.history)
for i in range(int(sys.argv[3])):
    history.record("k", f"{sys.argv[2]}{i}")
stores.close()
"""


@pytest.mark.slow
def test_concurrent_processes_lose_no_accept(tmp_path: Path) -> None:
    Stores(tmp_path).close()  # created once, as by the first server
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), tag, "25"])
        for tag in ("a", "b", "c")
    ]
    assert [w.wait(120) for w in writers] == [0, 0, 0]
    stores = Stores(tmp_path)
    names = set(AcceptHistory(stores.history).boosts("k"))
    stores.close()
    assert names == {f"{tag}{i}" for tag in "abc" for i in range(25)}
