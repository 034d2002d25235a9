"""LSP line splitting and the document pygls keeps for us."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp
from pygls.workspace import Workspace

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
