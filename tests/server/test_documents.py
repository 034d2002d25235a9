"""LSP line splitting and the document pygls keeps for us."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types as lsp
from pygls.workspace import TextDocument, Workspace

from glm_lsp.documents import LineIndex, LspTextDocument, install, split_lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("abc", ["abc"]),
        ("a\nb", ["a\n", "b"]),
        ("a\r\nb\rc\n", ["a\r\n", "b\r", "c\n"]),
        ("\n\n", ["\n", "\n"]),
        ("form\x0cfeed\nnext", ["form\x0cfeed\n", "next"]),
        ("ls\u2028ps\u2029nel\x85end", ["ls\u2028ps\u2029nel\x85end"]),
        ("vt\x0bfs\x1cgs\x1drs\x1e\n", ["vt\x0bfs\x1cgs\x1drs\x1e\n"]),
    ],
)
def test_split_lines_only_at_lsp_line_ends(text: str, expected: list[str]) -> None:
    assert split_lines(text) == expected
    assert "".join(split_lines(text)) == text


def test_line_index_uses_lsp_lines() -> None:
    index = LineIndex.of("a\x0cb\nc")
    assert index.lines == ("a\x0cb\n", "c")
    assert index.starts == (0, 4, 5)


def test_incremental_edit_after_form_feed_lands_on_the_client_line() -> None:
    workspace = Workspace(None)
    install(workspace)
    uri = "file:///ff.py"
    workspace.put_text_document(lsp.TextDocumentItem(uri, "python", 1, "x = 1\x0c\ny = 2\nz = 3\n"))
    doc = workspace.get_text_document(uri)
    assert isinstance(doc, LspTextDocument)
    # The client's line 2 is "z = 3"; str.splitlines would call it line 3.
    change = lsp.TextDocumentContentChangePartial(
        range=lsp.Range(lsp.Position(2, 0), lsp.Position(2, 1)), text="w"
    )
    workspace.update_text_document(lsp.VersionedTextDocumentIdentifier(uri=uri, version=2), change)
    assert workspace.get_text_document(uri).source == "x = 1\x0c\ny = 2\nw = 3\n"


def _lines_of(text: str) -> list[str]:
    return split_lines(text)


def test_incremental_edits_match_pygls_for_in_range_positions() -> None:
    """Differential test: our slice-based edit gives pygls' result wherever pygls is right."""
    rng = random.Random(20261122)
    alphabet = ["a", "b", "\n", "é", "😋", " ", "x"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        ours = LspTextDocument("file:///a", text)
        theirs = TextDocument("file:///a", text)
        lines = _lines_of(text)

        def column(line: int, lines: list[str] = lines) -> int:
            if line >= len(lines):
                return 0
            content = lines[line].rstrip("\n")
            return rng.randint(0, len(content.encode("utf-16-le")) // 2)

        l1 = rng.randint(0, max(1, len(lines)))
        l2 = rng.randint(l1, max(1, len(lines)))
        c1, c2 = column(l1), column(l2)
        if l1 == l2 and c2 < c1:
            c1, c2 = c2, c1
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(l1, c1), lsp.Position(l2, c2)),
            text=rng.choice(["", "Z", "Q\n"]),
        )
        ours.apply_change(change)
        theirs.apply_change(change)
        assert ours.source == theirs.source, (text, change)


@pytest.mark.parametrize(
    ("text", "rng_", "new", "expected"),
    [
        # A column past the end of a line means its end, not a point after the line break.
        ("ab\ncd\n", ((0, 9), (0, 9)), "X", "abX\ncd\n"),
        ("ab\r\ncd", ((0, 3), (0, 3)), "X", "abX\r\ncd"),  # never between \r and \n
        ("ab\n", ((1, 0), (1, 0)), "X", "ab\nX"),  # the empty last line
        ("ab\n", ((5, 2), (6, 0)), "X", "ab\nX"),  # beyond the end: append
        ("", ((0, 0), (0, 0)), "hello", "hello"),
        ("abc", ((0, 2), (0, 1)), "X", "abXc"),  # reversed range: insert at its start
    ],
)
def test_incremental_edit_edges(
    text: str, rng_: tuple[tuple[int, int], tuple[int, int]], new: str, expected: str
) -> None:
    doc = LspTextDocument("file:///e", text)
    (l1, c1), (l2, c2) = rng_
    doc.apply_change(
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(l1, c1), lsp.Position(l2, c2)), text=new
        )
    )
    assert doc.source == expected


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
@pytest.mark.parametrize(
    "text", ["x = 1\n", "x = 1\r\n", "x = 1\r", "naïve = '😋'\n", "a\n\n", "éé\r\n"]
)
def test_cursor_on_the_empty_last_line_is_on_that_line(text: str, encoding: str) -> None:
    """The state of every file written top-down: the cursor after the final line break."""
    from pygls.workspace import PositionCodec

    from glm_lsp.documents import client_position, cursor_line

    doc = LspTextDocument("file:///t.py", text, position_codec=PositionCodec(encoding))
    last = len(split_lines(text))
    offset, line = cursor_line(doc, lsp.Position(last, 0), doc.line_index())
    assert offset == len(text)
    assert line.number == last and line.text == ""
    assert client_position(doc, line, offset) == lsp.Position(last, 0)
    # A line further past the end of such a text is the empty last line too.
    assert cursor_line(doc, lsp.Position(last + 3, 7))[1].number == last


@pytest.mark.parametrize(
    ("text", "position", "offset"),
    [
        ("abc", (0, 9), 3),  # past the end of a last line without a line break
        ("é😋", (0, 9), 2),
        ("ab\r\ncd", (0, 9), 2),  # never between \r and \n
        ("ab\ncd", (5, 0), 5),  # past the end of a text without a final line break
    ],
)
def test_cursor_past_the_end_of_a_line_is_its_end(
    text: str, position: tuple[int, int], offset: int
) -> None:
    from glm_lsp.documents import client_position, cursor_line

    doc = LspTextDocument("file:///t.py", text)
    got, line = cursor_line(doc, lsp.Position(*position))
    assert got == offset
    end = client_position(doc, line, got)
    assert end.line == line.number
    assert end.character == len(line.text.rstrip("\r\n").encode("utf-16-le")) // 2


def test_incremental_edit_past_the_end_of_the_last_line_appends() -> None:
    """pygls clamps such a column to one before the end: the text landed inside the line."""
    workspace = Workspace(None)
    install(workspace)
    uri = "file:///end.py"
    workspace.put_text_document(lsp.TextDocumentItem(uri, "python", 1, "abc"))
    pos = lsp.Position(0, 9)
    change = lsp.TextDocumentContentChangePartial(range=lsp.Range(pos, pos), text="Z")
    workspace.update_text_document(lsp.VersionedTextDocumentIdentifier(uri=uri, version=2), change)
    assert workspace.get_text_document(uri).source == "abcZ"
