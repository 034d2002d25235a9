"""UTF-8 byte offsets (tree-sitter) to ``str`` offsets (everything outside ``syntax/``).

Most source is ASCII, where both are the same number, so the map only does work for files with
non-ASCII text: it records where each non-ASCII character starts in the bytes and how many extra
bytes the characters up to it took, so a lookup is one bisection, whatever the line length
(minified files put megabytes on one line).
"""

from __future__ import annotations

import re
from bisect import bisect_left

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def encode(text: str) -> bytes:
    """Same byte form the syntax layer parses (lone surrogates survive as 3 bytes)."""
    return text.encode("utf-8", "surrogatepass")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


class ByteMap:
    """Converts byte offsets of ``data`` (= ``encode(text)``) to offsets in ``text``."""

    def __init__(self, text: str, data: bytes) -> None:
        self.size = len(text)
        self.nbytes = len(data)
        self.ascii = len(data) == len(text)
        self._starts: list[int] = []
        """Byte offset where each non-ASCII character starts."""
        self._extra: list[int] = []
        """Extra bytes (beyond one per character) up to and including that character."""
        if self.ascii:
            return
        extra = 0
        for run in _NON_ASCII.finditer(text):
            char_pos = run.start()
            for ch in run.group():
                self._starts.append(char_pos + extra)
                extra += len(encode(ch)) - 1
                self._extra.append(extra)
                char_pos += 1

    def to_str(self, byte: int) -> int:
        if self.ascii:
            return max(0, min(byte, self.size))
        byte = max(0, min(byte, self.nbytes))
        before = bisect_left(self._starts, byte)  # characters starting before ``byte``
        extra = self._extra[before - 1] if before else 0
        return max(0, min(byte - extra, self.size))
