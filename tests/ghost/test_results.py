"""Result cache keys and persistence; typed-ahead reuse and what invalidates it."""

from __future__ import annotations

from pathlib import Path

import pytest

from glm_lsp.cache import Store
from glm_lsp.ghost.results import ResultCache, TypeAhead, cache_key

BASE = ("sha-a", "codegeex4-fim-1", "PROMPT", {"max_tokens": 64, "temperature": 0.0})


@pytest.mark.parametrize(
    "changed",
    [
        ("sha-b", *BASE[1:]),
        (BASE[0], "codegeex4-fim-2", *BASE[2:]),
        (*BASE[:2], "PROMPT ", BASE[3]),
        (*BASE[:3], {"max_tokens": 32, "temperature": 0.0}),
        (*BASE[:3], {"max_tokens": 64, "temperature": 0.0, "stop": ["\n"]}),
    ],
)
def test_key_changes_with_every_input(changed: tuple) -> None:  # type: ignore[type-arg]
    assert cache_key(*changed) != cache_key(*BASE)


def test_key_ignores_param_order() -> None:
    a = cache_key("m", "t", "p", {"a": 1, "b": 2})
    assert a == cache_key("m", "t", "p", {"b": 2, "a": 1})


def test_cache_counts_and_persists(tmp_path: Path) -> None:
    store = Store(tmp_path, "results")
    cache = ResultCache(store)
    key = cache_key(*BASE)
    assert cache.get(key) is None
    cache.put(key, "x + 1")
    assert cache.get(key) == "x + 1"
    assert (cache.hits, cache.misses) == (1, 1)
    store.close()
    reopened = ResultCache(Store(tmp_path, "results"))
    assert reopened.get(key) == "x + 1"  # from disk, a new process would see it


def test_cache_without_store_and_with_broken_dir(tmp_path: Path) -> None:
    cache = ResultCache(None, capacity=1)
    cache.put("k1", "a")
    cache.put("k2", "b")
    assert cache.get("k1") is None and cache.get("k2") == "b"
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    broken = ResultCache(Store(blocker, "results"))
    broken.put("k", "v")
    assert broken.get("k") == "v"


DOC = "def f(x):\n    return \n\nprint(f(1))\n"
AT = DOC.index("return ") + len("return ")


def _typed(text: str) -> tuple[str, int]:
    return DOC[:AT] + text + DOC[AT:], AT + len(text)


def test_typeahead_serves_the_rest() -> None:
    ta = TypeAhead()
    ta.remember("u", DOC, AT, "x * 2 + 1")
    assert ta.lookup("u", DOC, AT) == (AT, "x * 2 + 1")
    doc, cur = _typed("x * ")
    assert ta.lookup("u", doc, cur) == (AT, "2 + 1")
    assert ta.hits == 2


@pytest.mark.parametrize(
    ("uri", "edit"),
    [
        ("other", lambda: _typed("x")),
        ("u", lambda: _typed("y")),  # diverged from the suggestion
        ("u", lambda: _typed("x * 2 + 1")),  # fully typed: nothing left to serve
        ("u", lambda: ("#\n" + _typed("x")[0], _typed("x")[1] + 2)),  # edit above
        ("u", lambda: (_typed("x")[0] + "z", _typed("x")[1])),  # edit below
        ("u", lambda: (DOC, AT - 1)),  # cursor moved back
    ],
)
def test_typeahead_invalidation(uri: str, edit) -> None:  # type: ignore[no-untyped-def]
    ta = TypeAhead()
    ta.remember("u", DOC, AT, "x * 2 + 1")
    doc, cur = edit()
    assert ta.lookup(uri, doc, cur) is None


def test_typeahead_newest_first_and_forget() -> None:
    ta = TypeAhead(capacity=2)
    ta.remember("u", DOC, AT, "x + 1")
    ta.remember("u", DOC, AT, "x + 2")
    doc, cur = _typed("x + ")
    assert ta.lookup("u", doc, cur) == (AT, "2")
    ta.forget("u")
    assert ta.lookup("u", doc, cur) is None
    ta.remember("u", DOC, AT, "")
    assert ta.lookup("u", DOC, AT) is None
