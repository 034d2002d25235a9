"""Reading workspace files from disk for the index, tolerating whatever is there.

Invalid UTF-8 is decoded with replacement characters (the text is only analysed, never written
back), binary files and files over the size limit are skipped, and unreadable files are treated
as absent: the index must survive any workspace.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

BINARY_SNIFF = 8192
"""Bytes inspected for a NUL byte, git's own heuristic for binary content."""


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF]


def read_source(path: Path, max_size: int) -> str | None:
    """Text of ``path``, or ``None`` when it is missing, too large, binary or unreadable."""
    try:
        if path.stat().st_size > max_size:
            return None
        data = path.read_bytes()
    except OSError as exc:
        log.debug("cannot read %s: %s", path, exc)
        return None
    if is_binary(data):
        return None
    return data.decode("utf-8", errors="replace")
