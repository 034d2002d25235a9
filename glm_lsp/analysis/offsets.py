"""UTF-8 byte offsets (tree-sitter) to ``str`` offsets (everything outside ``syntax/``).

Most source is ASCII, where both are the same number, so the map only does work for files with
non-ASCII text; there it splits by line once and decodes at most one line per lookup.
"""

from __future__ import annotations

from bisect import bisect_right


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
        self.data = data
        self.size = len(text)
        self.ascii = len(data) == len(text)
        self._byte_starts: list[int] = []
        self._char_starts: list[int] = []
        self._line_ascii: list[bool] = []
        if not self.ascii:
            b = c = 0
            for line in text.split("\n"):
                self._byte_starts.append(b)
                self._char_starts.append(c)
                size = len(encode(line))
                self._line_ascii.append(size == len(line))
                b += size + 1
                c += len(line) + 1

    def to_str(self, byte: int) -> int:
        if self.ascii:
            return max(0, min(byte, self.size))
        byte = max(0, min(byte, len(self.data)))
        i = bisect_right(self._byte_starts, byte) - 1
        start = self._byte_starts[i]
        if self._line_ascii[i]:
            return min(self._char_starts[i] + byte - start, self.size)
        col = len(decode(self.data[start:byte]))
        return min(self._char_starts[i] + col, self.size)
