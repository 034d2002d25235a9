"""Symbol extraction for Python: kinds, types, scopes, params, docs, counts, imports."""

from __future__ import annotations

import pytest

from glm_lsp.analysis.extract import extract_symbols
from glm_lsp.analysis.symbols import FileSymbols, Symbol
from glm_lsp.syntax.languages import spec_for

PY = spec_for("python")

SOURCE = '''\
import os.path, sys as system
from . import sibling
from ..pkg.mod import (thing as other, plain)
from typing import Optional, List

class Config(Base, metaclass=Meta):
    """Holds settings.

    More text."""
    retries: int = 3

    def load(self, path: str, strict=False, *args, mode: "Optional[str]" = None) -> List[int]:
        self.items = []
        self.name: Optional[str] = None
        total = 0
        for line in self.read(path):
            pass
        with open(path) as fh:
            data = fh.read()
        alias = total
        return self.items

def helper() -> Config:
    """Make one."""
    return Config()

conf = helper()
conf.load("x")
words = ["a", "b"]
for w in words:
    w.upper()
try:
    pass
except (OSError, ValueError) as err:
    err.errno
'''


@pytest.fixture(scope="module")
def fs() -> FileSymbols:
    return extract_symbols(PY, SOURCE, None, "/w/conf.py")


def find(fs: FileSymbols, name: str, kind: str | None = None) -> Symbol:
    matches = [s for s in fs.symbols if s.name == name and (kind is None or s.kind == kind)]
    assert matches, f"no symbol {name!r} ({kind}) in {[s.name for s in fs.symbols]}"
    return matches[0]


@pytest.mark.parametrize(
    ("name", "kind", "type_", "container", "local"),
    [
        ("Config", "class", None, None, False),
        ("retries", "field", "int", "Config", False),
        ("load", "method", None, "Config", False),
        ("items", "field", "list", "Config", False),
        ("name", "field", "str | None", "Config", False),
        ("path", "parameter", "str", None, True),
        ("strict", "parameter", "bool", None, True),
        ("mode", "parameter", "str | None", None, True),
        ("total", "variable", "int", None, True),
        ("fh", "variable", "TextIOWrapper", None, True),
        ("alias", "variable", "int", None, True),
        ("helper", "function", None, None, False),
        ("conf", "variable", "Config", None, False),
        ("words", "variable", "list[str]", None, False),
        ("w", "variable", "str", None, False),
        ("err", "variable", "OSError", None, False),
    ],
)
def test_definitions(
    fs: FileSymbols, name: str, kind: str, type_: str | None, container: str | None, local: bool
) -> None:
    sym = find(fs, name, kind)
    assert (sym.type, sym.container, sym.local) == (type_, container, local)


def test_signature_params_and_returns(fs: FileSymbols) -> None:
    load = find(fs, "load", "method")
    assert load.returns == "list[int]"
    assert load.signature is not None and load.signature.startswith("(self, path: str")
    assert load.signature.endswith("-> list[int]")
    # self is dropped: argument 0 at a call site `c.load(x)` is `path`
    assert [p[0] for p in load.params] == ["path", "strict", "args", "mode"]
    assert load.params[0] == ("path", "str")


def test_docs_are_first_lines(fs: FileSymbols) -> None:
    assert find(fs, "Config").doc == "Holds settings."
    assert find(fs, "helper").doc == "Make one."


def test_class_bases_skip_keyword_arguments(fs: FileSymbols) -> None:
    assert find(fs, "Config").bases == ("Base",)


def test_scopes_are_str_offsets(fs: FileSymbols) -> None:
    cls = find(fs, "Config", "class")
    assert SOURCE[cls.start : cls.start + 6] == "Config"
    assert SOURCE[: cls.end].rstrip().endswith("return self.items")
    total = find(fs, "total")
    assert SOURCE[total.scope_start :].startswith("def load")
    assert (find(fs, "conf").scope_start, find(fs, "conf").scope_end) == (0, len(SOURCE))


def test_imports(fs: FileSymbols) -> None:
    assert fs.imports == {
        "os": "os",
        "system": "sys",
        "sibling": ".sibling",
        "other": "..pkg.mod.thing",
        "plain": "..pkg.mod.plain",
        "Optional": "typing.Optional",
        "List": "typing.List",
    }
    assert find(fs, "system").kind == "module"


def test_member_counts_by_type_and_name(fs: FileSymbols) -> None:
    counts = fs.member_counts
    assert counts[("type:Config", "items")] == 2  # self.items twice
    assert counts[("name:self", "items")] == 2
    assert counts[("type:Config", "load")] == 1  # conf.load, conf = helper() -> Config
    assert counts[("name:conf", "load")] == 1
    assert counts[("type:TextIOWrapper", "read")] == 1
    assert counts[("type:str", "upper")] == 1  # w from iterating list[str]
    assert counts[("type:OSError", "errno")] == 1


def test_identifier_counts_skip_strings_comments_and_keywords(fs: FileSymbols) -> None:
    counts = fs.identifier_counts
    assert counts["Config"] == 3
    assert counts["path"] == 4
    assert "settings" not in counts  # docstring words
    assert "def" not in counts and "return" not in counts


def test_non_ascii_offsets() -> None:
    text = 's = "héllo wörld"\nclass Ünï:\n    pass\nvalue = Ünï()\n'
    out = extract_symbols(PY, text, None, "u.py")
    cls = find(out, "Ünï")
    assert text[cls.start : cls.start + 3] == "Ünï"
    value = find(out, "value")
    assert text[value.start : value.start + 5] == "value"
    assert value.type == "Ünï"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "def (:\n  class\n\t)))",
        "x = = = 1\nclass A(:\n def f(self,: pass",
        "\x00\x01 binary \udcff junk",
        "if True:\n" * 200,
    ],
)
def test_broken_input_never_raises(text: str) -> None:
    out = extract_symbols(PY, text, None, "bad.py")
    assert out.path == "bad.py" and out.language == "python"


def test_unknown_language_counts_words() -> None:
    out = extract_symbols(None, "foo bar foo_baz foo", None, "x.unknown")
    assert out.language is None and out.symbols == []
    assert out.identifier_counts == {"foo": 2, "bar": 1, "foo_baz": 1}


def test_same_text_is_extracted_once() -> None:
    text = "def shared(): ...\n"
    first = extract_symbols(PY, text, None, "memo.py")
    assert extract_symbols(PY, text, None, "memo.py") is first
    assert extract_symbols(PY, text, None, "other.py") is not first


def test_reuses_given_tree() -> None:
    assert PY is not None
    tree = PY.parser().parse(b"def f(a: int) -> str: ...\n")
    out = extract_symbols(PY, "def f(a: int) -> str: ...\n", tree, "t.py")
    assert find(out, "f").returns == "str"


def test_large_real_file() -> None:
    """A 3,300-line module none of us wrote (its speed: tests/benchmarks/bench_index.py)."""
    import inspect as target

    with open(target.__file__, encoding="utf-8") as fh:
        text = fh.read()
    assert text.count("\n") > 3000
    out = extract_symbols(PY, text, None, "big.py")
    assert find(out, "getmembers", "function").params[:2] == (("object", None), ("predicate", None))
    assert find(out, "Signature", "class").doc is not None
    assert find(out, "bind", "method").container == "Signature"
    for sym in out.symbols:
        assert text[sym.start : sym.start + len(sym.name)] == sym.name or sym.kind == "module"


def test_crlf_offsets_point_at_names() -> None:
    text = "class A:\r\n    def f(self):\r\n        self.x = 1\r\n        return self.x\r\n"
    out = extract_symbols(PY, text, None, "crlf.py")
    assert {(s.name, s.kind) for s in out.symbols} >= {
        ("A", "class"),
        ("f", "method"),
        ("x", "field"),
    }
    for sym in out.symbols:
        assert text[sym.start : sym.start + len(sym.name)] == sym.name


def test_huge_text_gets_word_counts_only() -> None:
    text = "def f(x):\n    return x.value + other_name\n" * 110_000  # ~4.6 MB
    out = extract_symbols(PY, text, None, "huge.py")
    assert out.symbols == [] and out.identifier_counts["other_name"] == 110_000


@pytest.mark.parametrize(
    ("language", "text", "kept", "dropped"),
    [
        # A half-typed `cart.` above the next statement parses as `cart.return`: not a member use.
        (
            "typescript",
            "function f(cart: Cart) {\n  const c = cart.size;\n  const n = cart.\n  return 1;\n}\n",
            "size",
            "return",
        ),
        # A chain broken before the dot is real code and still counts.
        ("javascript", "function f(p) {\n  p\n    .then(g);\n}\n", "then", None),
    ],
)
def test_member_after_dangling_operator_is_not_counted(
    language: str, text: str, kept: str, dropped: str | None
) -> None:
    spec = spec_for(language)
    fs = extract_symbols(spec, text, None, f"/t/a.{language}")
    members = {m for (_key, m) in fs.member_counts}
    assert kept in members
    if dropped is not None:
        assert dropped not in members


def test_an_extraction_past_its_time_budget_falls_back_to_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Random text parsed into millions of error nodes made extraction run for minutes; past
    the budget the file keeps its word frequencies and no symbols."""
    import glm_lsp.analysis.collect as collect_mod
    from glm_lsp.analysis.extract import extract_symbols
    from glm_lsp.syntax.languages import spec_for

    spec = spec_for("python")
    text = "".join(f"def f{i}(a, b):\n    return a.x{i} + b\n\n" for i in range(400))
    full = extract_symbols(spec, text, None, "/w/many.py")
    assert len(full.symbols) >= 400
    monkeypatch.setattr(collect_mod, "EXTRACT_BUDGET_S", -1.0)
    cut = extract_symbols(spec, text + "\n", None, "/w/many.py")
    assert cut.symbols == [] and cut.identifier_counts["return"] == 400


def test_memos_keep_a_bounded_amount_of_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted in entries alone, eight megabyte-sized texts and their tables stayed in memory
    after their documents closed (hundreds of MB under random traffic)."""
    from glm_lsp.analysis import extract
    from glm_lsp.syntax.parse import parse_text

    monkeypatch.setattr(extract, "_RECENT_BUDGET_CHARS", 2_000)
    monkeypatch.setattr(extract, "_recent", type(extract._recent)())
    monkeypatch.setattr(extract, "_regions", type(extract._regions)())
    spec = spec_for("python")
    assert spec is not None
    for n in range(5):
        text = "".join(f"name_{n}_{i} = {i}\n" for i in range(60))  # ~900 characters
        extract_symbols(spec, text, parse_text(spec, text), f"/ws/m{n}.py")
    assert sum(len(key[2]) for key in extract._recent) <= 2_000
    assert sum(size for size, _ in extract._regions.values()) <= 2_000
    assert [key[1] for key in extract._recent] == ["/ws/m3.py", "/ws/m4.py"]  # the newest stay
    assert [key[1] for key in extract._regions] == ["/ws/m3.py", "/ws/m4.py"]

    big = "x = 1\n" * 600  # one entry over the budget on its own still stays (it is in use)
    extract_symbols(spec, big, parse_text(spec, big), "/ws/big.py")
    assert [key[1] for key in extract._recent] == ["/ws/big.py"]


def test_forget_text_drops_a_closed_documents_memos(monkeypatch: pytest.MonkeyPatch) -> None:
    from glm_lsp.analysis import extract
    from glm_lsp.syntax.parse import parse_text

    monkeypatch.setattr(extract, "_recent", type(extract._recent)())
    monkeypatch.setattr(extract, "_regions", type(extract._regions)())
    spec = spec_for("python")
    assert spec is not None
    for path in ("/ws/a.py", "/ws/b.py"):
        text = f"value = 1  # {path}\n"
        extract_symbols(spec, text, parse_text(spec, text), path)
    extract.forget_text("/ws/a.py")
    assert [key[1] for key in extract._recent] == ["/ws/b.py"]
    assert [key[1] for key in extract._regions] == ["/ws/b.py"]
