"""Documents as LSP sees them: lines end at ``\n``, ``\r\n`` or ``\r`` and nowhere else.

pygls splits a document with ``str.splitlines``, which also breaks lines at form feeds, vertical
tabs, ``\x1c``-``\x1e``, ``\x85``, U+2028 and U+2029. A client counts none of those as line
ends, so in a file containing one (form feeds are common in older Python and C code) every line
number after it disagreed, and incremental edits landed in the wrong place and corrupted the
server's copy of the document. :class:`LspTextDocument` splits as the protocol does, and the
server installs it into pygls' workspace.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lsprotocol import types as lsp
from pygls.workspace import TextDocument

_ODD_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """``text`` split after each LSP line end, keeping the ends (like ``splitlines(True)``)."""
    if _ODD_BREAKS.search(text) is None:
        return text.splitlines(True)  # the same answer, several times faster
    return _LINE.findall(text)


class LspTextDocument(TextDocument):
    """pygls' document with LSP line splitting (used for positions and incremental edits).

    The split lines and their start offsets are computed once per version: pygls asks for
    ``lines`` on every position conversion, and the server needs them at each keystroke.
    """

    _cache: tuple[str, tuple[str, ...], LineIndex | None] | None = None
    edit_sites: tuple[int, ...] = ()
    """``str`` offsets of the edits since the last ``take_edit_sites``, in the current text."""

    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        cache = self._cache
        if cache is not None and cache[0] is source:
            return cache[1]
        lines = tuple(split_lines(source))
        self._cache = (source, lines, None)
        return lines

    def line_index(self) -> LineIndex:
        lines = tuple(self.lines)  # the cached tuple itself (no copy)
        cache = self._cache
        if cache is not None and cache[2] is not None and cache[1] is lines:
            return cache[2]
        index = LineIndex(lines, tuple(itertools.accumulate(map(len, lines), initial=0)))
        self._cache = (self.source, lines, index)
        return index

    def _apply_incremental_change(self, change: lsp.TextDocumentContentChangePartial) -> None:
        """One slice-and-join instead of pygls' per-line rewrite (a keystroke in a 3,000-line
        file cost a Python loop over every line). Columns past the end of a line mean the end
        of that line, as LSP specifies; pygls let them reach across the line break."""
        lines = self.lines
        start = self._offset(lines, change.range.start)
        end = max(start, self._offset(lines, change.range.end))
        source = self.source
        self._source = source[:start] + change.text + source[end:]
        # Where each change of this version happened, in the final text: a later change in
        # the same notification shifts the earlier sites after it.
        delta = len(change.text) - (end - start)
        self.edit_sites = (*(s + delta if s > start else s for s in self.edit_sites), start)

    def take_edit_sites(self) -> tuple[int, ...]:
        """The sites recorded since the last call (the server takes them at each didChange)."""
        sites, self.edit_sites = self.edit_sites, ()
        return sites

    def _offset(self, lines: Sequence[str], position: lsp.Position) -> int:
        return cursor_line(self, position, self.line_index())[0]


def install(workspace: Any) -> None:
    """Make ``workspace`` create :class:`LspTextDocument` for every document opened from now."""

    def create(
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=workspace._sync_kind,
            position_codec=workspace.position_codec,
        )

    workspace._create_text_document = create


@dataclass(frozen=True)
class Line:
    """The cursor's line in both unit systems, so edits convert without rescanning the text."""

    number: int
    start: int
    """``str`` offset where the line starts."""
    text: str


@dataclass(frozen=True)
class LineIndex:
    """Lines of one document version (split as LSP splits them) and their start offsets."""

    lines: tuple[str, ...]
    starts: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> LineIndex:
        lines = tuple(split_lines(text))
        return cls(lines, tuple(itertools.accumulate((len(line) for line in lines), initial=0)))


def cursor_line(
    doc: TextDocument, position: lsp.Position, index: LineIndex | None = None
) -> tuple[int, Line]:
    """The ``str`` offset of ``position`` and its line.

    A line past the end means the end of the document, a column past the end of its line the
    end of that line (never a point inside or after its line break). The empty line after a
    final line break is a line of its own: the cursor there is on it, not past the end of the
    line before (pygls' codec clamps such a line to the previous one and counts its ``\n``).
    """
    index = index or LineIndex.of(doc.source)
    lines = index.lines
    number = max(0, position.line)
    if number >= len(lines):
        if lines and not _ends_with_break(lines[-1]):
            number = len(lines) - 1  # past the end of a text without a final line break
            text = lines[number]
            return index.starts[number] + len(text), Line(number, index.starts[number], text)
        number = len(lines)  # the empty last line (or the only line of an empty text)
        return index.starts[number], Line(number, index.starts[number], "")
    text = lines[number]
    start = index.starts[number]
    column = _column(doc.position_codec, _content(text), max(0, position.character))
    return start + column, Line(number, start, text)


def _ends_with_break(line: str) -> bool:
    return line.endswith(("\n", "\r"))


def _content(line: str) -> str:
    """``line`` without its line break."""
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith(("\n", "\r")) else line


def _column(codec: Any, content: str, units: int) -> int:
    """``str`` index in ``content`` of a column in the client's units (clamped to its end; a
    column inside a character's units means after that character)."""
    if units <= 0:
        return 0
    if codec.encoding == lsp.PositionEncodingKind.Utf32 or content.isascii():
        return min(units, len(content))
    seen = 0
    for i, char in enumerate(content):
        if seen >= units:
            return i
        seen += codec.client_num_units(char)
    return len(content)


def client_position(doc: TextDocument, line: Line, offset: int) -> lsp.Position:
    """Client position of ``offset``, which lies on ``line`` (clamped to its content: never a
    column inside or after its line break)."""
    content = _content(line.text)
    column = max(0, min(offset - line.start, len(content)))
    units = doc.position_codec.client_num_units(content[:column])
    return lsp.Position(line=line.number, character=units)
