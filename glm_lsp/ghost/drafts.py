"""Context drafts: the rest of the line, found already written elsewhere in the same document.

Why: a small model is rarely exactly right about the rest of a line, but code repeats itself: a
call pattern, an argument list, ``self.x = x``, the same ``raise`` twice. When the code before
the cursor on this line also occurs elsewhere in the document, whatever followed it there (to
the end of that line) is a *draft* for the rest of this one — prompt-lookup decoding, done by
text search, no model. The model then judges the draft (its probability of exactly these
tokens, one forced-decoding pass) and the confidence gate decides, as for its own suggestions.

Only the document's own text is searched (it is in the prompt already; secret files never get
this far), and never the cursor's own line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    """One place where the code before the cursor occurs again."""

    at: int
    """Offset of the match's end in the document (where its continuation starts)."""
    length: int
    """How many characters before the cursor agree (back to the line's first non-space)."""
    full: bool
    """The match covers all the code before the cursor, and on the other line that code too
    starts at the line's first non-space character: the same line start."""
    continuation: str
    """What follows the match up to the end of its line, trailing space stripped."""


def find_matches(text: str, offset: int, min_chars: int = 3, limit: int = 10_000) -> list[Match]:
    """Every occurrence (up to ``limit``) of the last ``min_chars`` characters of code before the
    cursor, elsewhere in ``text``, extended backwards as far as it agrees."""
    start = text.rfind("\n", 0, offset) + 1
    code = text[start:offset].lstrip()
    if len(code) < min_chars:
        return []
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    key = code[-min_chars:]
    out: list[Match] = []
    i = text.find(key)
    while i >= 0 and len(out) < limit:
        if not start <= i < end:  # never the cursor's own line
            out.append(_match(text, code, i, len(key)))
        i = text.find(key, i + 1)
    return out


def _match(text: str, code: str, i: int, size: int) -> Match:
    a, b = i - 1, len(code) - size - 1
    while b >= 0 and a >= 0 and text[a] == code[b] and text[a] != "\n":
        a, b = a - 1, b - 1
    line_start = text.rfind("\n", 0, a + 1) + 1
    full = b < 0 and not text[line_start : a + 1].strip()
    eol = text.find("\n", i + size)
    eol = len(text) if eol < 0 else eol
    return Match(i + size, len(code) - 1 - b, full, text[i + size : eol].rstrip())


def vote(
    matches: Sequence[Match],
    min_len: int = 3,
    full: bool = False,
    min_agree: int = 1,
    min_share: float = 0.0,
    longest: bool = False,
) -> str | None:
    """The draft the matches agree on, or ``None``: among matches at least ``min_len`` long
    (``full`` ones only if asked; only the longest ones if ``longest``), the most frequent
    non-empty continuation, ties to the longest match; it needs ``min_agree`` matches and
    ``min_share`` of the eligible ones."""
    eligible = [m for m in matches if m.length >= min_len and (m.full or not full)]
    if longest and eligible:
        top = max(m.length for m in eligible)
        eligible = [m for m in eligible if m.length == top]
    if not eligible:
        return None
    counts = Counter(m.continuation for m in eligible)
    reach = Counter[str]()
    for m in eligible:
        reach[m.continuation] = max(reach[m.continuation], m.length)
    best = max(counts, key=lambda c: (counts[c], reach[c]))
    if not best.strip() or counts[best] < min_agree or counts[best] < min_share * len(eligible):
        return None
    return best
