"""UTF-8 bytes (what tree-sitter parses) and ``str`` offsets (everything else), both ways.

Text is ``str`` and may hold lone surrogates (a client sending half a UTF-16 pair); every
encoding goes through :func:`encode`, so byte offsets computed anywhere agree with the tree.

Most source is ASCII, where a byte offset and a ``str`` offset are the same number, so the
converter only does work for texts with non-ASCII characters: it records where each run of them
starts (in characters and in bytes) and how many extra bytes the text took up to its end, so a
lookup is one bisection whatever the line length (minified files put megabytes on one line).
Inside a run of characters of one width (a line of CJK, of Cyrillic) the offset is arithmetic;
a run mixing widths gets the byte offset of each of its characters on first use.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def encode(text: str) -> bytes:
    """The byte form tree-sitter parses: lone surrogates become 3 bytes each instead of
    raising; tree-sitter sees them as invalid UTF-8 and recovers, while offsets stay exact."""
    return text.encode("utf-8", "surrogatepass")


def decode(data: bytes) -> str:
    """Inverse of :func:`encode` that never raises (a slice may cut a character)."""
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _width(char: str) -> int:
    """Bytes of one non-ASCII character in :func:`encode`'s form (surrogates: 3)."""
    code = ord(char)
    return 2 if code < 0x800 else 3 if code < 0x10000 else 4


class ByteOffsets:
    """Byte <-> ``str`` offset conversion for one text (``data`` = ``encode(text)``).

    Offsets out of range are clamped; a byte inside a character maps to that character.
    """

    def __init__(self, text: str, data: bytes | None = None) -> None:
        self.text = text
        self.data = encode(text) if data is None else data
        self.size = len(text)
        self.nbytes = len(self.data)
        self.ascii = self.nbytes == self.size
        self._str_starts: list[int] = []
        """Where each run of non-ASCII characters starts in the text."""
        self._byte_starts: list[int] = []
        """Where the same run starts in the bytes."""
        self._runs: list[str] = []
        self._widths: list[int] = []
        """Bytes per character of each run; 0 when the run mixes widths."""
        self._extra: list[int] = []
        """Extra bytes (beyond one per character) up to the end of each run."""
        self._mixed: dict[int, list[int]] = {}
        """Run index → byte offset of each of its characters within it, for mixed runs."""
        if self.ascii:
            return
        extra = 0
        for match in _NON_ASCII.finditer(text):
            run = match.group()
            start = match.start()
            self._str_starts.append(start)
            self._byte_starts.append(start + extra)
            self._runs.append(run)
            width = _width(min(run))
            if width == _width(max(run)):
                self._widths.append(width)
                extra += (width - 1) * len(run)
            else:
                self._widths.append(0)
                extra += len(encode(run)) - len(run)
            self._extra.append(extra)

    def to_byte(self, offset: int) -> int:
        offset = max(0, min(offset, self.size))
        if self.ascii:
            return offset
        i = bisect_right(self._str_starts, offset) - 1
        if i < 0:
            return offset
        inside = offset - self._str_starts[i]
        if inside >= len(self._runs[i]):
            return offset + self._extra[i]
        width = self._widths[i]
        if width:
            return self._byte_starts[i] + inside * width
        return self._byte_starts[i] + self._char_bytes(i)[inside]

    def to_str(self, byte: int) -> int:
        byte = max(0, min(byte, self.nbytes))
        if self.ascii:
            return byte
        i = bisect_right(self._byte_starts, byte) - 1
        if i < 0:
            return byte
        run = self._runs[i]
        inside = byte - self._byte_starts[i]
        before = self._extra[i - 1] if i else 0
        if inside >= len(run) + self._extra[i] - before:
            return byte - self._extra[i]
        width = self._widths[i]
        if width:
            return self._str_starts[i] + inside // width
        return self._str_starts[i] + bisect_right(self._char_bytes(i), inside) - 1

    def _char_bytes(self, i: int) -> list[int]:
        starts = self._mixed.get(i)
        if starts is None:
            starts = [0, *accumulate(_width(ch) for ch in self._runs[i][:-1])]
            self._mixed[i] = starts
        return starts


_last_offsets: ByteOffsets | None = None


def offsets_for(text: str) -> ByteOffsets:
    """The converter of ``text``, reused when it is the most recent text asked about
    (completion asks many times about the same version)."""
    global _last_offsets
    last = _last_offsets  # one read: another thread may replace it meanwhile
    if last is not None and last.text is text:
        return last
    fresh = ByteOffsets(text)
    _last_offsets = fresh
    return fresh
