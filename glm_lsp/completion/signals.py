"""Scans of the text around the cursor that several ranking features share.

Each runs once per request (not once per candidate): the identifiers of the enclosing function,
how the receiver before the cursor was used nearby, the word parts of the cursor's line, and
whether a keyword can go where the cursor is.
"""

from __future__ import annotations

import re

from glm_lsp.completion.matching import humps
from glm_lsp.syntax.context import CursorContext
from glm_lsp.syntax.words import IDENTIFIER, IDENTIFIER_PATTERN

PROXIMITY_WINDOW = 3000
LOCAL_WINDOW = 1500
LOCAL_SPAN_CAP = 20_000
"""Characters on either side of the cursor a function's span is cut to: without a tree (a
big document before its first parse lands, or one too big or too slow to parse) a function's
scope runs to the end of the text, and each request scanned megabytes (~0.2 s at 5 MB)."""


_STATEMENT_KEYWORDS = frozenset(
    "def class return if elif else for while try except finally with import from raise pass "
    "break continue del global nonlocal assert yield async match case func fn let const var "
    "type struct enum impl trait use mod pub static switch do throw package interface go defer "
    "select loop where typedef namespace template public private protected".split()
)
_OPERATOR_KEYWORDS = frozenset("in is and or as if else for instanceof".split())
"""Keywords that continue an expression (``x in y``) and cannot start one."""
_VALUE_KEYWORDS = frozenset("True False None null nil true false this self super undefined".split())
_EXPRESSION_KEYWORDS = frozenset(
    "True False None not and or in is lambda await yield new typeof this self super null true "
    "false nil undefined sizeof as instanceof void".split()
)


def word_parts(name: str) -> frozenset[str]:
    """Lower-case word parts of 3+ letters, plural ``s`` dropped: ``_actions`` → ``{action}``."""
    parts = set()
    for hump in humps(name):
        word = hump.lower()
        if len(word) >= 3:
            parts.add(word[:-1] if word.endswith("s") and len(word) > 3 else word)
    return frozenset(parts)


def line_words(ctx: CursorContext) -> frozenset[str]:
    """Word parts of the identifiers around the cursor on its line (not the receiver's)."""
    out: set[str] = set()
    for parts in line_identifiers(ctx).values():
        out |= parts
    return frozenset(out)


def line_identifiers(ctx: CursorContext) -> dict[str, frozenset[str]]:
    """The other identifiers on the cursor's line (not the receiver's, not the one being typed),
    each with its word parts."""
    skip = set(IDENTIFIER.findall(ctx.receiver or ""))
    rest = ctx.word_end - ctx.offset
    text = ctx.line_prefix[: len(ctx.line_prefix) - len(ctx.prefix)] + " " + ctx.line_suffix[rest:]
    out: dict[str, frozenset[str]] = {}
    for word in IDENTIFIER.findall(text):
        if word not in skip and word not in _NOISE_WORDS and word not in out:
            out[word] = word_parts(word)
    return out


def line_after(ctx: CursorContext) -> frozenset[str]:
    """Identifiers on the cursor's line after the one being typed (editing inside a line:
    ``(self.|, self.b)`` — the names written further on are rarely the one missing here)."""
    return frozenset(IDENTIFIER.findall(ctx.line_suffix, ctx.word_end - ctx.offset))


def local_counts(ctx: CursorContext) -> dict[str, int]:
    """Whole-word counts of the identifiers in the enclosing function (one scan per request)."""
    lo, hi = local_span(ctx)
    counts: dict[str, int] = {}
    for word in IDENTIFIER.findall(ctx.text, lo, hi):
        counts[word] = counts.get(word, 0) + 1
    return counts


_CALLED = re.compile(rf"(?<![\w.$])({IDENTIFIER_PATTERN})[ \t]*\(")


def called_names(ctx: CursorContext) -> frozenset[str]:
    """Bare names called in the enclosing function (``get_time()``): a variable holding a
    function is a callable for the ``(`` after the cursor."""
    lo, hi = local_span(ctx)
    return frozenset(
        m.group(1) for m in _CALLED.finditer(ctx.text, lo, hi) if m.start(1) != ctx.replace_start
    )


def receiver_uses(ctx: CursorContext) -> dict[str, tuple[int, int, int]]:
    """How this very receiver was used around the cursor: ``self.x`` earlier in the method is
    the best predictor of ``self.|`` (one scan per request, not one per candidate)."""
    receiver = (ctx.receiver or "").strip()
    if not receiver:
        return {}
    op = re.escape(ctx.member_operator or ".")
    pattern = re.compile(
        rf"(?<![\w.$]){re.escape(receiver)}[ \t]*{op}[ \t]*({IDENTIFIER_PATTERN})(?=([ \t]*\()?)"
    )
    lo_local, hi_local = local_span(ctx)
    lo = max(0, ctx.offset - PROXIMITY_WINDOW)
    hi = ctx.offset + PROXIMITY_WINDOW
    uses: dict[str, tuple[int, int, int]] = {}
    for m in pattern.finditer(ctx.text, min(lo, lo_local), max(hi, hi_local)):
        start = m.start(1)
        if start == ctx.replace_start:
            continue
        count, best, calls = uses.get(m.group(1), (0, -1, 0))
        if lo_local <= start < hi_local:
            count += 1
        d = abs(start - ctx.offset)
        if d <= PROXIMITY_WINDOW and (best < 0 or d < best):
            best = d
        uses[m.group(1)] = (count, best, calls + (1 if m.group(2) else 0))
    return uses


SEQUENCE_WINDOW = 4000


def member_neighbours(ctx: CursorContext) -> tuple[dict[str, int], dict[str, int]]:
    """Members that, elsewhere, followed the member used last before the cursor on this
    receiver, and members that preceded the one used next after it. Code repeats its
    sequences (``self.begin(); self.write(…)``): after ``self.begin``, what came next before
    is a good guess."""
    receiver = (ctx.receiver or "").strip()
    if not receiver:
        return {}, {}
    op = re.escape(ctx.member_operator or ".")
    pattern = re.compile(rf"(?<![\w.$]){re.escape(receiver)}[ \t]*{op}[ \t]*({IDENTIFIER_PATTERN})")
    sequence: list[str] = []
    cursor = -1
    lo, hi = max(0, ctx.offset - SEQUENCE_WINDOW), ctx.offset + SEQUENCE_WINDOW
    for m in pattern.finditer(ctx.text, lo, hi):
        if m.start(1) >= ctx.replace_start and cursor < 0:
            cursor = len(sequence)
        if m.start(1) != ctx.replace_start:
            sequence.append(m.group(1))
    if cursor < 0:
        cursor = len(sequence)
    before = sequence[cursor - 1] if cursor > 0 else None
    after = sequence[cursor] if cursor < len(sequence) else None
    follows: dict[str, int] = {}
    precedes: dict[str, int] = {}
    for i in range(len(sequence) - 1):
        first, second = sequence[i], sequence[i + 1]
        if first == before and i != cursor - 1:
            follows[second] = follows.get(second, 0) + 1
        if second == after and i + 1 != cursor:
            precedes[first] = precedes.get(first, 0) + 1
    return follows, precedes


def nearest_occurrence(ctx: CursorContext, name: str) -> int | None:
    """Offset of the nearest whole-word occurrence of ``name`` other than the one being typed."""
    text = ctx.text
    before = _rfind_word(
        text, name, max(0, ctx.replace_start - PROXIMITY_WINDOW), ctx.replace_start
    )
    after = _find_word(text, name, ctx.word_end, ctx.word_end + PROXIMITY_WINDOW)
    if before is None:
        return after
    if after is None:
        return before
    return before if ctx.offset - before <= after - ctx.offset else after


def _rfind_word(text: str, name: str, lo: int, hi: int) -> int | None:
    end = hi
    while True:
        i = text.rfind(name, lo, end)
        if i < 0:
            return None
        if _whole_word(text, i, len(name)):
            return i
        end = i + len(name) - 1


def _find_word(text: str, name: str, lo: int, hi: int) -> int | None:
    start = lo
    while True:
        i = text.find(name, start, hi)
        if i < 0:
            return None
        if _whole_word(text, i, len(name)):
            return i
        start = i + 1


def _whole_word(text: str, i: int, n: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + n] if i + n < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


_NOISE_WORDS = frozenset("self this cls return for in if not and or is def class None".split())


def enclosing_function(ctx: CursorContext) -> str | None:
    for scope in ctx.scopes:
        if scope.kind == "function":
            return scope.name
        if scope.kind in ("class", "module", "impl"):
            return None
    return None


def local_span(ctx: CursorContext) -> tuple[int, int]:
    """The innermost function around the cursor, else a window of lines around it."""
    for scope in ctx.scopes:
        if scope.kind in ("function", "lambda") and scope.end > scope.start:
            lo = max(scope.start, ctx.offset - LOCAL_SPAN_CAP)
            return lo, min(scope.end, ctx.offset + LOCAL_SPAN_CAP)
        if scope.kind in ("class", "module", "impl"):
            break
    return max(0, ctx.offset - LOCAL_WINDOW), ctx.offset + LOCAL_WINDOW


def keyword_fit(word: str, ctx: CursorContext) -> float:
    """+1 where the keyword can start what is being typed, -1 where it cannot, else 0."""
    head = ctx.line_prefix[: len(ctx.line_prefix) - len(ctx.prefix)].rstrip()
    at_statement = head.strip() in ("", "else", "}", "{") or head.endswith((":", ";", "{", "}"))
    last_word = head.rsplit(None, 1)[-1] if head.strip() else ""
    keywords = ctx.language.keywords if ctx.language is not None else ()
    after_value = bool(head) and (head[-1].isalnum() or head[-1] in "_)]}'\"")
    if after_value and last_word in keywords and last_word not in _VALUE_KEYWORDS:
        after_value = False  # `return |`, `not |`: an operand comes next
    if at_statement:
        return 1.0 if word in _STATEMENT_KEYWORDS else (-1.0 if word in _OPERATOR_KEYWORDS else 0.0)
    if after_value:
        return 0.5 if word in _OPERATOR_KEYWORDS else -1.0
    if word in _OPERATOR_KEYWORDS:
        return -1.0
    return -1.0 if word in _STATEMENT_KEYWORDS and word not in _EXPRESSION_KEYWORDS else 0.0
