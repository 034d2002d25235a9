"""The engine end to end on small snippets, with the real syntax and analysis layers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.analysis.symbols import Symbol
from glm_lsp.completion.candidates import Candidate, dedupe
from glm_lsp.completion.engine import CompletionEngine, CompletionResult, accept_payload
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import ParsedDocument, parse_text

_counter = 0


def doc_for(marked: str, language: str, path: str = "/ws/snippet") -> tuple[ParsedDocument, int]:
    """A parsed document from text with a ``|`` cursor marker."""
    global _counter
    _counter += 1
    offset = marked.index("|")
    text = marked.replace("|", "", 1)
    spec = spec_for(language)
    tree = parse_text(spec, text) if spec is not None else None
    doc = ParsedDocument(f"file://{path}{_counter}", path, language, spec, text, 1, tree)
    return doc, offset


def complete(
    marked: str,
    language: str = "python",
    engine: CompletionEngine | None = None,
    model_candidates: tuple[Candidate, ...] = (),
) -> CompletionResult:
    engine = engine or CompletionEngine(WorkspaceIndex(), background=False)
    doc, offset = doc_for(marked, language)
    return engine.complete(doc, offset, model_candidates=model_candidates)


def names(result: CompletionResult, n: int = 100) -> list[str]:
    return [item.candidate.name for item in result.items[:n]]


PY_CLASS = """
import os

class Box:
    def __init__(self, size: int, label: str) -> None:
        self.size = size
        self.label = label
        self.items: list[int] = []

    def add(self, item: int) -> None:
        self.items.append(item)

    def total(self) -> int:
        return self.size + len(self.items)

    def show(self) -> str:
        return self.|
"""


def test_self_lists_fields_and_methods() -> None:
    top = names(complete(PY_CLASS), 8)
    for member in ("size", "label", "items", "add", "total"):
        assert member in top
    assert "os" not in top and "print" not in top


def test_dunder_members_come_after_public_ones() -> None:
    got = names(complete(PY_CLASS))
    assert got.index("total") < got.index("__init__")


def test_module_members_after_import() -> None:
    got = names(complete("import os\nos.pa|\n"), 3)
    assert got[0] == "path"


def test_builtin_type_members() -> None:
    got = names(complete("xs: list[int] = []\nxs.app|\n"), 3)
    assert got[0] == "append"


def test_expected_int_ranks_int_names_first() -> None:
    src = "def f(count: int, name: str) -> int:\n    name = name.strip()\n    return |\n"
    got = names(complete(src))
    assert got.index("count") < got.index("name")


@pytest.mark.parametrize(
    ("src", "language"),
    [
        ("def f(total: int) -> None:\n    budget: int = |\n    print(total)\n", "python"),
        ("def f(total):\n    budget = |\n", "python"),
        ("function f(total: number) {\n  const budget: number = |\n}\n", "typescript"),
        ("func f(total int) {\n\tbudget := |\n}\n", "go"),
    ],
)
def test_variable_being_assigned_is_not_offered(src: str, language: str) -> None:
    got = names(complete(src, language))
    assert "total" in got
    assert "budget" not in got


def test_earlier_binding_of_reassigned_name_is_offered() -> None:
    got = names(complete("def f(xs):\n    budget = 1\n    budget = |\n"))
    assert "budget" in got


def test_unknown_receiver_uses_members_seen_on_that_name() -> None:
    src = "def f(cfg):\n    cfg.load()\n    cfg.save()\n    cfg.load()\n    cfg.|\n"
    # Both lead; their order is the ranking's (`save` followed `load` before: successor).
    assert set(names(complete(src), 2)) == {"load", "save"}


def test_locals_and_params_before_builtins() -> None:
    src = "def f(pages):\n    pos = 1\n    p|\n"
    top = names(complete(src), 3)
    assert set(top[:2]) == {"pages", "pos"}


@pytest.mark.parametrize(
    "src",
    ["x = 'abc |'\n", "# a comment |\n", 'x = """\ndoc |\n"""\n'],
    ids=["string", "comment", "docstring"],
)
def test_nothing_in_strings_and_comments(src: str) -> None:
    assert complete(src).items == []


def test_mid_word_replaces_rest_of_identifier() -> None:
    result = complete("value_total = 1\nprint(val|ue_t)\n")
    ctx = result.context
    assert ctx.prefix == "val"
    assert ctx.text[ctx.replace_start : ctx.word_end] == "value_t"
    assert names(result, 1) == ["value_total"]


def test_keyword_argument_names_in_a_call() -> None:
    src = "def g(alpha, beta=1, *, gamma=2):\n    pass\n\ng(1, |)\n"
    got = names(complete(src))
    assert "beta=" in got and "gamma=" in got
    assert "alpha=" in got  # may still be passed by keyword


def test_model_candidates_merge_and_dedupe() -> None:
    src = "count = 1\ncounter = 2\nc|\n"
    model = (
        Candidate("count", "text", "model", model_score=0.9),
        Candidate("count_all", "text", "model", model_score=0.5),
    )
    result = complete(src, model_candidates=model)
    got = names(result)
    assert got.count("count") == 1
    assert "count_all" in got
    first = result.items[0]
    assert first.candidate.name == "count" and first.features.get("model") == 0.9


def test_accept_raises_the_accepted_item() -> None:
    engine = CompletionEngine(WorkspaceIndex(), background=False)
    src = "alpha = 1\nalps = 2\nalpha += alpha\nal|\n"
    before = complete(src, engine=engine)
    assert names(before, 1) == ["alpha"]
    chosen = next(item for item in before.items if item.candidate.name == "alps")
    for _ in range(5):
        engine.accept(accept_payload(before, chosen))
    assert names(complete(src, engine=engine), 1) == ["alps"]


def test_malformed_accept_payload_is_ignored() -> None:
    engine = CompletionEngine(WorkspaceIndex(), background=False)
    engine.accept({"name": 3, "contexts": "x"})
    engine.accept({})


def test_recent_edit_lifts_names_near_it() -> None:
    engine = CompletionEngine(WorkspaceIndex(), background=False)
    body = "\n".join(f"    x{i} = {i}" for i in range(40))
    src = f"def f():\n    mark_a = 1\n{body}\n    mark_b = 2\n{body}\n    ma|\n"
    doc, offset = doc_for(src, "python")
    engine.note_edit(doc.uri, doc.text.index("mark_a"))
    assert names(engine.complete(doc, offset), 1) == ["mark_a"]


@pytest.mark.parametrize(
    ("language", "src", "want"),
    [
        ("javascript", "const fooBar = 1;\nfunction f() { return fo| }\n", "fooBar"),
        ("typescript", "let countItems: number = 0;\nconst y = cou|\n", "countItems"),
        ("go", "package m\ntype P struct { Name string }\nfunc f(p P) { p.| }\n", "Name"),
        ("rust", "struct P { width: u32 }\nfn f(p: P) -> u32 { p.| }\n", "width"),
        ("java", "class A { int total; int f() { return tot| } }\n", "total"),
        ("c", "struct s { int len; };\nint f(struct s *p) { return p->| }\n", "len"),
        ("cpp", "struct S { int depth; };\nint f(S s) { return s.| }\n", "depth"),
        ("plaintext", "lorem ipsum dolor\nlorem lo|\n", "lorem"),
    ],
)
def test_languages(language: str, src: str, want: str) -> None:
    assert want in names(complete(src, language), 3)


@pytest.mark.parametrize("offset", [-5, 10**6])
def test_out_of_range_offset_gives_well_formed_result(offset: int) -> None:
    engine = CompletionEngine(WorkspaceIndex(), background=False)
    doc, _ = doc_for("x = 1\n|", "python")
    result = engine.complete(doc, offset)
    assert isinstance(result.items, list)


def test_syntax_errors_everywhere() -> None:
    result = complete("def (((:\n  ]] class = = \nval = 3\nv|\n")
    assert "val" in names(result, 5)


def test_stale_symbols_are_used_while_refreshing(tmp_path: Path) -> None:
    engine = CompletionEngine(WorkspaceIndex(), background=True)
    try:
        spec = spec_for("python")
        assert spec is not None
        text = "def f(alpha):\n    al\n"
        first = ParsedDocument(
            "file:///s.py", "/s.py", "python", spec, text, 1, parse_text(spec, text)
        )
        assert "alpha" in names(engine.complete(first, len(text) - 1))
        text2 = "def f(alpha):\n    x = 1\n    al\n"
        second = ParsedDocument(
            "file:///s.py", "/s.py", "python", spec, text2, 2, parse_text(spec, text2)
        )
        assert "alpha" in names(engine.complete(second, len(text2) - 1))
    finally:
        engine.close()


def test_unknown_receiver_also_offers_common_builtin_methods() -> None:
    src = "def f(cfg, text):\n    cfg.load()\n    return text.|\n"
    got = names(complete(src))
    assert "startswith" in got and "append" in got  # str and list methods, as a last resort
    assert got.index("load") < got.index("startswith")  # what this file uses comes first


def test_a_member_seen_used_takes_the_kind_a_known_type_declares() -> None:
    seen = Candidate("strip", "field", "member", scope_distance=3)
    declared = Candidate(
        "strip", "method", "member", symbol=Symbol(name="strip", kind="method"), scope_distance=4
    )
    (merged,) = dedupe([seen, declared])
    assert merged.kind == "method" and merged.scope_distance == 3


def _wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_first_request_does_not_wait_for_the_extraction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first dropdown in a file ran the whole extraction inside the request (39-172 ms on
    stdlib files, ~1 s at 5 MB): now it answers from what is ready, marked incomplete, while
    the extraction runs on the background thread."""
    import glm_lsp.completion.engine as engine_mod

    release = threading.Event()
    real = engine_mod._extract

    def held(*args: Any) -> Any:
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(engine_mod, "_extract", held)
    engine = CompletionEngine(WorkspaceIndex(), background=True)
    try:
        doc, offset = doc_for("def parse(text):\n    return text\n\nvalue = par|\n", "python")
        started = time.monotonic()
        first = engine.complete(doc, offset)
        assert time.monotonic() - started < 5  # not held by the extraction
        assert first.is_incomplete
        assert "parse" in names(first)  # a live word near the cursor
        release.set()
        _wait_until(lambda: engine.symbols_for(doc).fresh)
        second = engine.complete(doc, offset)
        assert not second.is_incomplete
        top = second.items[0].candidate
        assert top.name == "parse" and top.kind == "function"  # now from the symbols
    finally:
        release.set()
        engine.close()


def test_a_file_the_index_holds_answers_from_its_symbols_while_extracting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import glm_lsp.completion.engine as engine_mod

    release = threading.Event()
    real = engine_mod._extract
    monkeypatch.setattr(engine_mod, "_extract", lambda *a: release.wait(10) and real(*a))
    index = WorkspaceIndex()
    disk = "class Reader:\n    def read_all(self):\n        pass\n" + "\n" * 20_000
    index.update_file("/ws/reader.py", disk, "python")
    engine = CompletionEngine(index, background=True)
    try:
        spec = spec_for("python")
        text = disk + "value = Rea"
        doc = ParsedDocument(
            "file:///ws/reader.py", "/ws/reader.py", "python", spec, text, 1, parse_text(spec, text)
        )
        first = engine.complete(doc, len(text))
        assert first.is_incomplete
        top = first.items[0].candidate  # far from the cursor: not a live word
        assert top.name == "Reader" and top.kind == "class"
    finally:
        release.set()
        engine.close()


def test_a_document_closed_while_extracting_keeps_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An extraction that finished after its document closed stored its symbols again (and
    the memo kept its text): every closed document could come back to memory this way."""
    import glm_lsp.completion.engine as engine_mod
    from glm_lsp.analysis import extract

    started, release = threading.Event(), threading.Event()
    real = engine_mod._extract

    def held(*args: Any) -> Any:
        started.set()
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(engine_mod, "_extract", held)
    engine = CompletionEngine(WorkspaceIndex(), background=True)
    try:
        doc, _ = doc_for("def parse(text):\n    return text\n|", "python", "/ws/closing")
        engine.prefetch(doc)
        assert started.wait(10)
        engine.forget(doc.uri, doc.path)
        release.set()
        assert engine._executor is not None
        engine._executor.submit(lambda: None).result(10)  # the job has finished
        assert doc.uri not in engine._symbols
        assert not engine.first_pending(doc.uri)
        assert all(key[1] != doc.path for key in extract._recent)
    finally:
        release.set()
        engine.close()


def test_prefetch_extracts_an_opened_document_and_reads_its_imports() -> None:
    engine = CompletionEngine(WorkspaceIndex(), background=True)
    try:
        doc, offset = doc_for("import json\nimport os.path\n\njson.|\n", "python")
        engine.prefetch(doc)
        _wait_until(lambda: engine.symbols_for(doc).fresh)
        _wait_until(lambda: engine.index.modules.cached() >= 2)  # json, os.path (+ os)
        result = engine.complete(doc, offset)
        assert not result.is_incomplete and "dumps" in names(result)
    finally:
        engine.close()


def test_module_names_stay_visible_while_typing_at_the_end_of_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the user types at the end of a file, requests use the previous version's symbols,
    whose module scope ended at the previous end of the text: the cursor lay past it and every
    module-level name dropped out of the dropdown until the re-extraction landed."""
    import glm_lsp.completion.engine as engine_mod

    engine = CompletionEngine(WorkspaceIndex(), background=True)
    release = threading.Event()
    try:
        spec = spec_for("python")
        v1 = "def parse_all(text):\n    return text\n" + "\n" * 5000
        doc1 = ParsedDocument("file:///e.py", "/e.py", "python", spec, v1, 1, parse_text(spec, v1))
        engine.prefetch(doc1)
        _wait_until(lambda: engine.symbols_for(doc1).fresh)
        real = engine_mod._extract
        monkeypatch.setattr(engine_mod, "_extract", lambda *a: release.wait(10) and real(*a))
        v2 = v1 + "result = pars"
        doc2 = ParsedDocument("file:///e.py", "/e.py", "python", spec, v2, 2, parse_text(spec, v2))
        result = engine.complete(doc2, len(v2))
        top = result.items[0].candidate
        assert top.name == "parse_all" and top.kind == "function"
    finally:
        release.set()
        engine.close()


def test_with_nothing_typed_only_the_most_frequent_words_are_ranked() -> None:
    """In its indentation, a request in a 5 MB file ranked all of its 26,000 identifiers
    (0.8 s); with nothing typed the words offered are the most frequent ones."""
    from glm_lsp.completion.candidates import MAX_UNPREFIXED_WORDS

    rare = "".join(f"# w{i:05d}x\n" for i in range(3 * MAX_UNPREFIXED_WORDS))
    text = "frequent_word = 1\n" + "frequent_word += 1\n" * 5 + rare + "\n|"
    doc, offset = doc_for(text, "text")
    engine = CompletionEngine(WorkspaceIndex(), background=False)
    gathered = engine.gather(doc, offset)
    assert gathered.found is not None
    words = [c.name for c in gathered.found.candidates if c.source == "word"]
    assert "frequent_word" in words and len(words) <= MAX_UNPREFIXED_WORDS


def test_a_file_opened_unchanged_takes_the_index_symbols_of_that_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The index extracted this very text: the first request answers from it, complete, and
    nothing is extracted again."""
    import glm_lsp.completion.engine as engine_mod

    calls: list[object] = []
    monkeypatch.setattr(engine_mod, "_extract", lambda *a: calls.append(a))
    index = WorkspaceIndex()
    text = "class Reader:\n    def read_all(self):\n        pass\n" + "\n" * 20_000 + "Rea"
    index.update_file("/ws/reader.py", text, "python")
    engine = CompletionEngine(index, background=True)
    try:
        spec = spec_for("python")
        doc = ParsedDocument("file:///ws/reader.py", "/ws/reader.py", "python", spec, text, 1, None)
        first = engine.complete(doc, len(text))
        assert not first.is_incomplete
        top = first.items[0].candidate
        assert top.name == "Reader" and top.kind == "class"
        assert engine.symbols_for(doc).fresh and not engine.first_pending(doc.uri)
        changed = ParsedDocument(
            "file:///ws/other.py", "/ws/reader.py", "python", spec, text + "d", 1, None
        )
        assert index.current("/ws/reader.py", changed.text, "python") is None
    finally:
        engine.close()
    assert calls == []
