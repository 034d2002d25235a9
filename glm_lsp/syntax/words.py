"""What counts as an identifier when code is read as plain text (no grammar, or no tree).

One spelling for every regex scan of identifiers: ASCII letters, ``_`` and ``$`` (JavaScript)
first, then word characters. ``IDENTIFIER_BYTES`` is the same over UTF-8 bytes, where ``\\w``
is ASCII only: a word with non-ASCII letters is cut there, as tree-sitter grammars mostly do.
"""

from __future__ import annotations

import re

IDENTIFIER_PATTERN = r"[A-Za-z_$][\w$]*"
"""For embedding in larger patterns (``receiver . member``)."""

IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
IDENTIFIER_BYTES = re.compile(IDENTIFIER_PATTERN.encode("ascii"))
