"""Completion items: kinds, details, documentation, and offsets <-> client positions."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec

from glm_lsp.analysis.symbols import Symbol
from glm_lsp.completion.candidates import Candidate
from glm_lsp.documents import LineIndex, cursor_line
from glm_lsp.items import (
    ResolveCache,
    detail,
    documentation,
    item_kind,
    label_details,
    resolve,
)


@pytest.mark.parametrize(
    ("kind", "source", "expected"),
    [
        ("function", "module", lsp.CompletionItemKind.Function),
        ("method", "member", lsp.CompletionItemKind.Method),
        ("class", "workspace", lsp.CompletionItemKind.Class),
        ("field", "member", lsp.CompletionItemKind.Field),
        ("variable", "local", lsp.CompletionItemKind.Variable),
        ("module", "import", lsp.CompletionItemKind.Module),
        ("keyword", "keyword", lsp.CompletionItemKind.Keyword),
        ("struct", "workspace", lsp.CompletionItemKind.Struct),
        ("parameter", "keyword-argument", lsp.CompletionItemKind.Variable),
        ("something-new", "word", lsp.CompletionItemKind.Text),
    ],
)
def test_item_kind(kind: str, source: str, expected: lsp.CompletionItemKind) -> None:
    assert item_kind(kind, source) == expected


RESTOCK = Symbol(
    name="restock",
    kind="method",
    signature="(self, item: Item, quantity: int) -> int",
    container="Warehouse",
    doc="Add units.",
    returns="int",
    origin="inventory/models.py",
)


@pytest.mark.parametrize(
    ("cand", "expected"),
    [
        (
            Candidate("restock", "method", "member", symbol=RESTOCK),
            "restock(self, item: Item, quantity: int) -> int",
        ),
        (Candidate("count", "variable", "local", type="int"), "int"),
        (Candidate("x", "variable", "local", detail="given"), "given"),
        (Candidate("if", "keyword", "keyword"), None),
    ],
)
def test_detail(cand: Candidate, expected: str | None) -> None:
    assert detail(cand) == expected


def test_label_details() -> None:
    extra = label_details(Candidate("restock", "method", "member", symbol=RESTOCK))
    assert extra is not None
    assert extra.detail == "(self, item: Item, quantity: int) -> int"
    keyword = label_details(Candidate("if", "keyword", "keyword"))
    assert keyword is not None and keyword.description == "keyword"
    assert label_details(Candidate("zz", "variable", "local")) is None


def test_documentation_markdown_and_plain() -> None:
    cand = Candidate("restock", "method", "member", symbol=RESTOCK)
    md = documentation(cand, "python")
    assert md is not None and md.kind == lsp.MarkupKind.Markdown
    assert md.value.startswith("```python\nWarehouse.restock(self, item: Item")
    assert "Add units." in md.value
    assert "inventory/models.py" in md.value
    plain = documentation(cand, "python", markdown=False)
    assert plain is not None and plain.kind == lsp.MarkupKind.PlainText
    assert "```" not in plain.value
    assert documentation(Candidate("q", "word", "")) is None


def test_resolve_uses_cache_and_ignores_unknown_ids() -> None:
    cache = ResolveCache(capacity=2)
    key = cache.add(Candidate("restock", "method", "member", symbol=RESTOCK))
    item = resolve(lsp.CompletionItem(label="restock", data={"id": key}), cache)
    assert item.documentation is not None
    assert item.detail is not None
    for junk in (None, 3, "x", {"id": 5}, {"id": "999"}, ["id"]):
        untouched = resolve(lsp.CompletionItem(label="a", data=junk), cache)
        assert untouched.documentation is None
    # Capacity evicts the oldest entries.
    cache.add(Candidate("a", "variable", "local"))
    cache.add(Candidate("b", "variable", "local"))
    assert cache.get(key) is None


def _doc(text: str, encoding: str = "utf-16") -> TextDocument:
    return TextDocument("file:///t.py", text, position_codec=PositionCodec(encoding))


@pytest.mark.parametrize(
    ("text", "encoding", "position", "offset", "line_number"),
    [
        ("abc\ndef", "utf-16", (1, 2), 6, 1),
        ("abc\r\ndef", "utf-16", (1, 2), 7, 1),  # CRLF counts two code points
        ("a😋b\nx", "utf-16", (0, 3), 2, 0),  # after the emoji (2 UTF-16 units)
        ("a😋b\nx", "utf-8", (0, 5), 2, 0),  # after the emoji (4 UTF-8 bytes)
        ("a😋b\nx", "utf-16", (0, 2), 2, 0),  # inside the surrogate pair: after the emoji
        ("abc\ndef", "utf-16", (7, 0), 7, 1),  # line past the end: end of document
        ("abc\ndef", "utf-16", (0, 99), 3, 0),  # column past the end: end of that line
        ("", "utf-16", (3, 3), 0, 0),
        ("abc\n", "utf-16", (1, 0), 4, 1),  # the empty last line is a line of its own
        ("abc\r\n", "utf-16", (1, 0), 5, 1),
        ("né😋\n", "utf-16", (1, 0), 4, 1),
        ("né😋\n", "utf-8", (1, 0), 4, 1),
    ],
)
def test_cursor_line(
    text: str, encoding: str, position: tuple[int, int], offset: int, line_number: int
) -> None:
    doc = _doc(text, encoding)
    pos = lsp.Position(*position)
    got, line = cursor_line(doc, pos)
    assert got == offset
    assert line.number == line_number
    assert cursor_line(doc, pos, LineIndex.of(text))[0] == offset
    assert 0 <= got <= len(text)


def test_line_index_starts() -> None:
    index = LineIndex.of("ab\r\ncd\ne")
    assert index.lines == ("ab\r\n", "cd\n", "e")
    assert index.starts == (0, 4, 7, 8)
