"""Per-document trees: the edit computed from a text diff, and incremental == fresh parses."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.offsets import encode
from glm_lsp.syntax.parse import DocumentTrees, TextEdit, compute_edit, parse_text

STDLIB = Path(random.__file__).parent


def _edit(old: str, new: str) -> TextEdit | None:
    return compute_edit(encode(old), encode(new))


@pytest.mark.parametrize(
    ("old", "new", "start", "old_end", "new_end", "points"),
    [
        # insertion, deletion, replacement; points are (row, byte column)
        ("abc", "abXc", 2, 2, 3, ((0, 2), (0, 2), (0, 3))),
        ("abXc", "abc", 2, 3, 2, ((0, 2), (0, 3), (0, 2))),
        ("a\nbcd\ne", "a\nbZd\ne", 3, 4, 4, ((1, 1), (1, 2), (1, 2))),
        ("x = 1\n", "x = 1\ny = 2\n", 6, 6, 12, ((1, 0), (1, 0), (2, 0))),
        ("", "hello", 0, 0, 5, ((0, 0), (0, 0), (0, 5))),
        ("hello", "", 0, 5, 0, ((0, 0), (0, 5), (0, 0))),
        # multi-byte characters: offsets and columns count UTF-8 bytes
        ("é = 1", "é = 12", 6, 6, 7, ((0, 6), (0, 6), (0, 7))),
        ("x😀y", "x😀zy", 5, 5, 6, ((0, 5), (0, 5), (0, 6))),
        # é (c3 a9) -> è (c3 a8) share their first byte: the edit must not split the character
        ("aéb", "aèb", 1, 3, 3, ((0, 1), (0, 3), (0, 3))),
        ("a\r\nb", "a\r\nbc", 4, 4, 5, ((1, 1), (1, 1), (1, 2))),
        ("ab", "a\ud800b", 1, 1, 4, ((0, 1), (0, 1), (0, 4))),  # lone surrogate = 3 bytes
        # repeated text: the prefix wins, the suffix never overlaps it
        ("aaaa", "aaaaa", 4, 4, 5, ((0, 4), (0, 4), (0, 5))),
    ],
)
def test_compute_edit(
    old: str,
    new: str,
    start: int,
    old_end: int,
    new_end: int,
    points: tuple[tuple[int, int], ...],
) -> None:
    edit = _edit(old, new)
    assert edit is not None
    assert (edit.start_byte, edit.old_end_byte, edit.new_end_byte) == (start, old_end, new_end)
    assert (edit.start_point, edit.old_end_point, edit.new_end_point) == points
    # The edit really transforms old into new.
    ob, nb = encode(old), encode(new)
    assert ob[:start] + nb[start:new_end] + ob[old_end:] == nb


def test_compute_edit_equal_texts() -> None:
    assert _edit("same", "same") is None


def test_compute_edit_on_long_texts_crosses_chunks() -> None:
    old = "x" * 10_000 + "MIDDLE" + "y" * 9_000
    new = "x" * 10_000 + "mid" + "y" * 9_000
    edit = _edit(old, new)
    assert edit is not None
    assert (edit.start_byte, edit.old_end_byte, edit.new_end_byte) == (10_000, 10_006, 10_003)


def _random_edits(text: str, rng: random.Random, count: int) -> list[str]:
    versions = []
    snippets = ["x", "self.", "(", ")", "\n", "    ", '"', "é", "😀", "def f():\n", "#", ""]
    for _ in range(count):
        pos = rng.randrange(len(text) + 1)
        cut = rng.choice([0, 0, 1, 3, 20])
        text = text[:pos] + rng.choice(snippets) + text[pos + cut :]
        versions.append(text)
    return versions


@pytest.mark.parametrize(
    ("mode", "kwargs"),
    [
        ("incremental", {}),
        ("full", {"incremental": False}),
        ("lazy", {"lazy": True}),
    ],
)
def test_trees_match_fresh_parses_after_random_edits(mode: str, kwargs: dict[str, bool]) -> None:
    spec = spec_for("python")
    assert spec is not None
    base = (STDLIB / "textwrap.py").read_text(encoding="utf-8")
    trees = DocumentTrees(**kwargs)
    trees.update("file:///t.py", base, 1, "python")
    rng = random.Random(7)
    for version, text in enumerate(_random_edits(base, rng, 40), start=2):
        doc = trees.update("file:///t.py", text, version)
        if mode == "lazy":
            assert doc.tree is None
            if version % 5:
                continue  # lazily skipped versions are folded into the next parse
            got = trees.get("file:///t.py")
            assert got is not None
            doc = got
        assert doc.version == version and doc.text == text
        assert doc.tree is not None
        assert str(doc.tree.root_node) == str(parse_text(spec, text).root_node)
        assert doc.tree.root_node.end_byte <= len(encode(text))


def test_earlier_documents_keep_their_tree() -> None:
    trees = DocumentTrees()
    first = trees.update("u", "def f():\n    return 1\n", 1, "python")
    assert first.tree is not None
    before = str(first.tree.root_node)
    second = trees.update("u", "x = 0\ndef f():\n    return 1\n", 2)
    assert second.tree is not None and second.tree is not first.tree
    assert str(first.tree.root_node) == before
    assert first.tree.root_node.children[0].start_byte == 0


@pytest.mark.parametrize(
    ("language_id", "path", "has_tree"),
    [
        ("python", None, True),
        (None, "/x/a.rs", True),
        ("typescriptreact", "/x/a.txt", True),
        ("plaintext", "/x/notes.txt", False),
        (None, None, False),
    ],
)
def test_language_resolution(language_id: str | None, path: str | None, has_tree: bool) -> None:
    trees = DocumentTrees()
    doc = trees.update("u", "a = b\n", 1, language_id, path)
    assert (doc.tree is not None) == has_tree
    assert (doc.spec is not None) == has_tree


def test_later_versions_inherit_language_and_path() -> None:
    trees = DocumentTrees()
    trees.update("u", "x = 1\n", 1, "python", "/w/a.py")
    doc = trees.update("u", "x = 2\n", 2)
    assert (doc.language_id, doc.path) == ("python", "/w/a.py")
    assert doc.spec is not None and doc.spec.name == "python"
    assert doc.tree is not None


def test_language_change_reparses_from_scratch() -> None:
    trees = DocumentTrees()
    trees.update("u", "x = 1\n", 1, "python")
    doc = trees.update("u", "let x = 1;\n", 2, "javascript")
    assert doc.tree is not None
    assert doc.tree.root_node.type == "program"


def test_get_and_close() -> None:
    trees = DocumentTrees()
    assert trees.get("never-opened") is None
    trees.update("u", "x", 3, "python")
    got = trees.get("u")
    assert got is not None and got.version == 3
    assert trees.uris() == ["u"]
    trees.close("u")
    trees.close("u")  # closing twice is harmless
    assert trees.get("u") is None


def test_oversized_documents_get_no_tree() -> None:
    trees = DocumentTrees(max_bytes=1000)
    doc = trees.update("u", "x = 1\n" * 1000, 1, "python")
    assert doc.tree is None
    doc = trees.update("u", "x = 1\n", 2)
    assert doc.tree is not None


@pytest.mark.parametrize("text", ["x = '\ud800'\ny = 1\n", "\udfff", "a\ud83d\ude00b = 1"])
def test_lone_surrogates_keep_byte_offsets(text: str) -> None:
    trees = DocumentTrees()
    doc = trees.update("u", text, 1, "python")
    assert doc.tree is not None
    assert doc.tree.root_node.end_byte <= len(encode(text))
    doc = trees.update("u", text + "z = 2\n", 2)
    assert doc.tree is not None
    spec = spec_for("python")
    assert spec is not None
    assert str(doc.tree.root_node) == str(parse_text(spec, text + "z = 2\n").root_node)


def test_concurrent_updates_are_safe() -> None:
    trees = DocumentTrees()
    spec = spec_for("python")
    assert spec is not None
    base = "def f(x):\n    return x\n" * 50
    errors: list[BaseException] = []
    final: dict[str, str] = {}

    def worker(n: int) -> None:
        try:
            text = base
            for v in range(30):
                uri = f"u{n % 2}"  # two threads per document
                text = text.replace("return x", f"return x + {v}", 1)
                trees.update(uri, text, v, "python")
                doc = trees.get(uri)
                assert doc is not None and doc.tree is not None
            final[f"u{n % 2}"] = text
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for uri in ("u0", "u1"):
        doc = trees.get(uri)
        assert doc is not None and doc.tree is not None
        assert str(doc.tree.root_node) == str(parse_text(spec, doc.text).root_node)


def _stopped_soup(seed: int) -> str:
    """Random bracket soup, whose TypeScript parse this thread's parser was just stopped on."""
    import glm_lsp.syntax.parse as parse_mod

    rng = random.Random(seed)
    soup = "".join(rng.choice("(){}[]<>'\"`:=;,.\t\n abc/*+-") for _ in range(60_000))
    spec = spec_for("typescript")
    assert spec is not None
    with pytest.raises(parse_mod.ParseTooSlow):
        parse_mod.parse_bytes(spec, soup.encode(), budget_s=0.0)
    return soup


def test_a_parse_that_runs_out_of_time_leaves_the_document_without_a_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Random bracket soup sent tree-sitter's error recovery into tens of seconds (on the event
    loop); past the budget the document gets no tree, and similar sizes are not retried."""
    import glm_lsp.syntax.parse as parse_mod

    soup = _stopped_soup(3)
    monkeypatch.setattr(parse_mod, "PARSE_BUDGET_S", 0.0)
    trees = DocumentTrees()
    doc = trees.update("file:///soup.ts", soup, 1, "typescript")
    assert doc.tree is None
    calls: list[int] = []
    real = parse_mod.parse_bytes
    monkeypatch.setattr(parse_mod, "parse_bytes", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert trees.update("file:///soup.ts", soup + "x", 2).tree is None
    assert calls == []  # not retried at a similar size
    monkeypatch.setattr(parse_mod, "PARSE_BUDGET_S", 1.0)
    assert trees.update("file:///soup.ts", "let x = 1;\n", 3).tree is not None  # much smaller


def test_a_stopped_parse_leaves_the_parser_clean() -> None:
    """tree-sitter keeps a halted parse's stack to resume it on the parser's next call, whatever
    text that is: memory grew by megabytes per slow document under random traffic, and the next
    document's parse continued the old one's. After a stop the thread's parser starts afresh."""
    import glm_lsp.syntax.parse as parse_mod

    _stopped_soup(5)
    spec = spec_for("typescript")
    assert spec is not None
    offsets: list[int] = []
    source = b"let x = 1;\n"

    def read(offset: int, _point: object) -> bytes:
        offsets.append(offset)
        return source[offset:]

    tree = parse_mod._thread_parser(spec).parse(read)
    assert offsets[0] == 0  # a resumed parse would ask for the old text's halt offset
    assert tree is not None and tree.root_node.end_byte == len(source)


def _held_parser(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Make parses from scratch of more than 100 bytes wait for the returned event."""
    import glm_lsp.syntax.parse as parse_mod

    release = threading.Event()
    real = parse_mod.parse_bytes

    def held(spec: Any, data: bytes, old: Any = None, budget_s: float | None = None) -> Any:
        if old is None and len(data) > 100:
            assert release.wait(10)
        return real(spec, data, old, budget_s)

    monkeypatch.setattr(parse_mod, "parse_bytes", held)
    return release


def _wait_for(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_big_document_is_first_parsed_off_the_callers_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """didOpen of a 5 MB file parsed on the event loop (~0.5 s, every document's requests
    waiting); past ``background_bytes`` the first parse runs on a thread and readers get the
    text alone until it lands."""
    release = _held_parser(monkeypatch)
    parsed: list[str] = []
    trees = DocumentTrees(background_bytes=100, on_parsed=parsed.append)
    try:
        text = "def f(x):\n    return x\n" * 20
        doc = trees.update("file:///big.py", text, 1, "python")  # returns while the parse waits
        assert doc.tree is None and trees.parsing("file:///big.py")
        got = trees.get("file:///big.py")
        assert got is not None and got.tree is None and got.text == text
        small = trees.update("file:///small.py", "x = 1\n", 1, "python")
        assert small.tree is not None  # small documents are parsed at once
        release.set()
        _wait_for(lambda: parsed == ["file:///big.py"])
        assert not trees.parsing("file:///big.py")
        done = trees.get("file:///big.py")
        assert done is not None and done.tree is not None
        assert str(done.tree.root_node) == str(parse_text(spec_for("python"), text).root_node)
    finally:
        release.set()
        trees.shutdown()


def test_edits_during_a_background_parse_are_caught_up(monkeypatch: pytest.MonkeyPatch) -> None:
    release = _held_parser(monkeypatch)
    trees = DocumentTrees(background_bytes=100)
    try:
        v1 = "def f(x):\n    return x\n" * 20
        trees.update("file:///e.py", v1, 1, "python")
        v2 = v1.replace("return x", "return x + 1", 3) + "class C:\n    pass\n"
        assert trees.update("file:///e.py", v2, 2).tree is None  # no second parse started
        release.set()
        _wait_for(lambda: not trees.parsing("file:///e.py"))
        doc = trees.get("file:///e.py")
        assert doc is not None and doc.version == 2 and doc.tree is not None
        assert str(doc.tree.root_node) == str(parse_text(spec_for("python"), v2).root_node)
    finally:
        release.set()
        trees.shutdown()


def test_a_document_closed_during_its_background_parse_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = _held_parser(monkeypatch)
    parsed: list[str] = []
    trees = DocumentTrees(background_bytes=100, on_parsed=parsed.append)
    try:
        trees.update("file:///c.py", "x = 1\n" * 50, 1, "python")
        trees.close("file:///c.py")
        release.set()
        trees.shutdown()
        time.sleep(0.1)
        assert trees.get("file:///c.py") is None and parsed == []
    finally:
        release.set()


def test_parses_queued_for_documents_closed_meanwhile_are_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Behind one slow parse, the first parses of documents opened and closed meanwhile queued
    up, each holding its text, and each ran later for nothing (under random traffic: 33 queued
    jobs, ~60 MB, after 600 messages, more every round)."""
    import glm_lsp.syntax.parse as parse_mod

    release = _held_parser(monkeypatch)
    held = parse_mod.parse_bytes
    sizes: list[int] = []

    def counted(spec: Any, data: bytes, old: Any = None, budget_s: float | None = None) -> Any:
        if old is None:
            sizes.append(len(data))
        return held(spec, data, old, budget_s)

    monkeypatch.setattr(parse_mod, "parse_bytes", counted)
    parsed: list[str] = []
    trees = DocumentTrees(background_bytes=100, on_parsed=parsed.append)
    try:
        trees.update("file:///slow.py", "x = 1\n" * 50, 1, "python")  # the thread waits here
        for n in range(5):  # opened and closed while it waits
            trees.update("file:///gone.py", f"y{n} = 2\n" * 50, 1, "python")
            trees.close("file:///gone.py")
        last = "z = 3\n" * 50
        trees.update("file:///gone.py", last, 1, "python")  # reopened: this one is parsed
        release.set()
        _wait_for(lambda: len(parsed) == 2)
        time.sleep(0.1)
        assert sorted(parsed) == ["file:///gone.py", "file:///slow.py"]
        assert sizes == [300, len(last)]  # nothing parsed for the closed versions
        doc = trees.get("file:///gone.py")
        assert doc is not None and doc.tree is not None and doc.text == last
    finally:
        release.set()
        trees.shutdown()


def test_a_parse_off_the_main_thread_hands_the_gil_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """tree-sitter holds the GIL while it parses: a background first parse froze the event
    loop as long as it ran. Off the main thread the parse pauses every few milliseconds."""
    import glm_lsp.syntax.parse as parse_mod

    pauses: list[float] = []
    monkeypatch.setattr(parse_mod, "_HAND_OVER_S", 0.0)
    monkeypatch.setattr(parse_mod.time, "sleep", pauses.append)
    spec = spec_for("python")
    assert spec is not None
    text = "def f(x):\n    return [x, (x, {x: x})]\n" * 3000
    parse_mod.parse_bytes(spec, text.encode())
    assert pauses == []  # the main thread (the event loop's) has nobody to hand over to
    trees: list[Any] = []
    worker = threading.Thread(
        target=lambda: trees.append(parse_mod.parse_bytes(spec, text.encode()))
    )
    worker.start()
    worker.join()
    assert pauses and pauses[0] == 0
    assert str(trees[0].root_node) == str(parse_text(spec, text).root_node)
