"""One score per candidate: a weighted sum of features, each roughly in ``[-1, 1.5]``.

The weights are the product's taste, so they live in one table and every item can show its
features (``glm-lsp complete --explain``). Names and members are ranked with different weights
(:data:`WEIGHTS`, with :data:`MEMBER_WEIGHTS` overriding some after a receiver): how often a
*word* occurs in the file says a lot about which name comes next, but little about which member
follows ``self.`` — there, how this receiver was used says more. The values were chosen on the
tune half of ``tests/benchmarks/bench_ranking.py`` (top-1 / top-5 / MRR of the name that was
really written, on standard-library code) and reported on the held-out half.

==============  =====  =======  =================================================================
feature         names  members  value
==============  =====  =======  =================================================================
match           4.0    4.0      prefix match grade (matching.py): 1 exact-case prefix, .8 any
                                case, .6 camel/snake hump, .3 subsequence; non-matches dropped
type_fit        1.0    1.0      +1 the candidate's type fits the expected type, -1 it clearly does
                                not, 0 either is unknown (``analysis.types.type_fits``)
freq_file       0.8    0        ``log1p(n) / log1p(64)`` of the name's occurrences in this file
freq_local      0.3    0        ``log1p(n) / log1p(16)`` of its occurrences in the enclosing
                                function
freq_workspace  0.5    0.2      ``log1p(n) / log1p(1024)`` of its occurrences in the workspace
freq_member     n/a    2.0      ``log1p(n) / log1p(32)`` of its uses after this receiver's type
                                or name, in the file and the workspace
member_local    n/a    0.4      ``log1p(n) / log1p(8)`` of its uses after this same receiver
                                text in the enclosing function (``self.x`` earlier in the method)
member_near     n/a    3.0      ``1 - d / 3000`` for the nearest use after this receiver text
scope           1.6    1.6      nearness of the source: local/parameter 1, member .8, enclosing
                                .7, module/import .6, builtin .35, keyword .3, workspace .15,
                                word 0; minus .1 per scope (or base class) crossed
proximity       1.0    0.45     ``1 - d / 3000`` for the nearest other occurrence of the name
delegation      n/a    0.5      1 for the member named like the enclosing function
                                (``super().f()`` in ``f``, a wrapper delegating to its target)
call_fit        1.0    2.0      +1 a callable before ``(``, -1 a value before ``(``, -.5 a
                                function before ``.``/``[`` (kind, or how the member was used);
                                +1 before ``.`` for a name the file uses as a receiver
line_affinity   1.0    1.0      1 when the name shares a word part with another identifier on the
                                line (``for action in self._actions``, ``width = self._width``)
recency         0.6    0.6      ``1 - d / 1500`` from the latest edits (``note_edit``) to the name
history         1.0    1.0      accept-history boost in this context (history.py, ``[0, 2]``)
private         -1.5   -1.5     1 for ``_private`` (.25 after ``self.``), 1.5 for ``__dunder__``;
                                0 once ``_`` is typed
keyword         0.8    n/a      +1 statement keyword at a statement start, -1 where it cannot go
                                (a statement inside an expression, ``in``/``and`` where an operand
                                is expected, anything but an operator right after a value)
model           2.0    2.0      the model's confidence ``[0, 1]`` for candidates it proposed
==============  =====  =======  =================================================================

Ties are broken by source nearness, then shorter name, then name, so the order is deterministic.
``sort_text`` is the zero-padded rank: editors sort by it and keep our order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from glm_lsp.completion.candidates import SOURCE_PRIORITY, Candidate
from glm_lsp.completion.lookups import type_fits
from glm_lsp.completion.matching import humps, match_quality
from glm_lsp.syntax.context import CursorContext

WEIGHTS: dict[str, float] = {
    "match": 4.0,
    "type_fit": 1.0,
    "freq_file": 0.8,
    "freq_local": 0.3,
    "freq_workspace": 0.5,
    "freq_member": 2.0,
    "member_local": 0.4,
    "member_near": 3.0,
    "scope": 1.6,
    "proximity": 1.0,
    "delegation": 1.0,
    "call_fit": 1.0,
    "recency": 0.6,
    "history": 1.0,
    "private": -1.5,
    "keyword": 0.8,
    "model": 2.0,
}
"""Weights for names (no receiver); the table in the module docstring explains each."""

MEMBER_WEIGHTS: dict[str, float] = {
    **WEIGHTS,
    "freq_file": 0.0,
    "freq_local": 0.0,
    "freq_workspace": 0.2,
    "member_local": 0.4,
    "scope": 1.6,
    "proximity": 0.45,
    "delegation": 0.5,
    "call_fit": 2.0,
}
"""Weights after a receiver (``x.|``)."""

SCOPE_VALUE: dict[str, float] = {
    "local": 1.0,
    "parameter": 1.0,
    "keyword-argument": 1.0,
    "member": 0.8,
    "enclosing": 0.7,
    "module": 0.6,
    "import": 0.6,
    "builtin": 0.35,
    "keyword": 0.3,
    "workspace": 0.15,
    "model": 0.0,
    "word": 0.0,
}

PROXIMITY_WINDOW = 3000
RECENCY_WINDOW = 1500
LOCAL_WINDOW = 1500

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


_SELF_RECEIVERS = frozenset({"self", "this", "cls"})


@dataclass
class RankedItem:
    candidate: Candidate
    score: float
    features: dict[str, float]
    sort_text: str


@dataclass
class RankingInputs:
    """Everything beyond the candidate and the cursor that the features read."""

    file_counts: Mapping[str, int] = field(default_factory=dict)
    workspace_count: Callable[[str], int] | None = None
    member_counts: Mapping[str, int] = field(default_factory=dict)
    history: Mapping[str, float] = field(default_factory=dict)
    recent_edits: Sequence[int] = ()
    """Offsets of the latest edits in this document, newest first."""
    expected_type: str | None = None
    """Resolved expected type; ``ctx.expected.type`` is used when this is None."""
    local_counts: Mapping[str, int] | None = None
    """Whole-word occurrences in the enclosing function; computed by :func:`rank` when None."""
    line_words: frozenset[str] | None = None
    """Word parts of the other identifiers on the cursor's line; computed by :func:`rank`."""
    receiver_counts: Mapping[str, int] = field(default_factory=dict)
    """How often each name is used as a receiver (``name.x``) in the file."""
    receiver_uses: Mapping[str, tuple[int, int, int]] | None = None
    """member → (uses after this receiver in the enclosing function, distance of the nearest use,
    uses that call it) around the cursor; computed by :func:`rank` when None."""


def rank(
    cands: Sequence[Candidate],
    ctx: CursorContext,
    inputs: RankingInputs | None = None,
    weights: Mapping[str, float] | None = None,
) -> list[RankedItem]:
    """Score, drop non-matches and sort; ``sort_text`` is the zero-padded rank."""
    inputs = inputs or RankingInputs()
    if weights is None:
        weights = MEMBER_WEIGHTS if ctx.receiver is not None else WEIGHTS
    w = weights
    scored: list[tuple[tuple[float, int, int, str], RankedItem]] = []
    current = ctx.text[ctx.replace_start : ctx.word_end]
    if ctx.receiver is not None and inputs.receiver_uses is None:
        inputs = replace(inputs, receiver_uses=receiver_uses(ctx))
    if inputs.local_counts is None:
        inputs = replace(inputs, local_counts=local_counts(ctx))
    if inputs.line_words is None:
        inputs = replace(inputs, line_words=line_words(ctx))
    for cand in cands:
        feats = features(cand, ctx, inputs, current)
        if feats is None:
            continue
        score = round(sum(w.get(k, 0.0) * v for k, v in feats.items()), 6)
        key = (-score, SOURCE_PRIORITY.get(cand.source, 9), len(cand.name), cand.name)
        scored.append((key, RankedItem(cand, score, feats, "")))
    scored.sort(key=lambda pair: pair[0])
    width = max(4, len(str(len(scored))))
    items = [item for _, item in scored]
    for i, item in enumerate(items):
        item.sort_text = str(i).zfill(width)
    return items


def features(
    cand: Candidate, ctx: CursorContext, inputs: RankingInputs, current: str | None = None
) -> dict[str, float] | None:
    """The feature vector of one candidate; None when it does not match the typed prefix.

    ``current`` is the identifier under the cursor (computed when not given): its own
    occurrence is not evidence for itself.
    """
    if current is None:
        current = ctx.text[ctx.replace_start : ctx.word_end]
    label = cand.name[:-1] if cand.source == "keyword-argument" else cand.name
    match = match_quality(ctx.prefix, label)
    if match is None:
        return None
    feats: dict[str, float] = {"match": match}
    expected = inputs.expected_type or (ctx.expected.type if ctx.expected is not None else None)
    if expected:
        ctype = cand.type or (cand.name if cand.kind in ("class", "struct") else None)
        feats["type_fit"] = type_fits(ctype, expected)
    count = inputs.file_counts.get(cand.name, 0) - (1 if cand.name == current else 0)
    if count > 0:
        feats["freq_file"] = _log_scale(count, 64)
    if inputs.workspace_count is not None and cand.source not in ("keyword", "keyword-argument"):
        feats["freq_workspace"] = _log_scale(inputs.workspace_count(cand.name), 1024)
    if ctx.receiver is not None:
        feats["freq_member"] = _log_scale(inputs.member_counts.get(cand.name, 0), 32)
        local_uses, distance, _ = (inputs.receiver_uses or {}).get(cand.name, (0, -1, 0))
        if local_uses:
            feats["member_local"] = _log_scale(local_uses, 8)
        if distance >= 0:
            feats["member_near"] = max(0.0, 1.0 - distance / PROXIMITY_WINDOW)
    feats["scope"] = max(0.0, SCOPE_VALUE.get(cand.source, 0.0) - 0.1 * cand.scope_distance)
    if cand.source == "keyword":  # keywords are everywhere: their occurrences mean nothing
        near = None
    else:
        counts = inputs.local_counts if inputs.local_counts is not None else local_counts(ctx)
        local = counts.get(cand.name, 0) - (1 if cand.name == current else 0)
        if local > 0:
            feats["freq_local"] = _log_scale(local, 16)
        near = nearest_occurrence(ctx, cand.name)
    if near is not None:
        feats["proximity"] = max(0.0, 1.0 - abs(near - ctx.offset) / PROXIMITY_WINDOW)
        if inputs.recent_edits:
            feats["recency"] = _recency(near, cand, inputs.recent_edits)
    if ctx.receiver is not None and cand.name == _enclosing_function(ctx):
        feats["delegation"] = 1.0  # `def read(self): return self._raw.read()`, `super().f()`
    if inputs.line_words and cand.source != "keyword":
        shared = _word_parts(cand.name) & inputs.line_words
        if shared:
            feats["line_affinity"] = 1.0  # `for action in self._actions`
    fit = _call_fit(cand, ctx, inputs)
    if fit:
        feats["call_fit"] = fit
    if cand.name in inputs.history:
        feats["history"] = inputs.history[cand.name]
    feats["private"] = _privacy(cand.name, ctx.prefix, ctx.receiver)
    if cand.source == "keyword":
        feats["keyword"] = _keyword_fit(cand.name, ctx)
    if cand.model_score is not None:
        feats["model"] = cand.model_score
    return {k: round(v, 4) for k, v in feats.items() if v}


_IDENT = re.compile(r"[A-Za-z_$][\w$]*")


def _word_parts(name: str) -> frozenset[str]:
    """Lower-case word parts of 3+ letters, plural ``s`` dropped: ``_actions`` → ``{action}``."""
    parts = set()
    for hump in humps(name):
        word = hump.lower()
        if len(word) >= 3:
            parts.add(word[:-1] if word.endswith("s") and len(word) > 3 else word)
    return frozenset(parts)


def line_words(ctx: CursorContext) -> frozenset[str]:
    """Word parts of the identifiers around the cursor on its line (not the receiver's)."""
    skip = set(_IDENT.findall(ctx.receiver or ""))
    text = ctx.line_prefix[: len(ctx.line_prefix) - len(ctx.prefix)] + " " + ctx.line_suffix
    out: set[str] = set()
    for word in _IDENT.findall(text):
        if word not in skip and word not in _NOISE_WORDS:
            out |= _word_parts(word)
    return frozenset(out)


def local_counts(ctx: CursorContext) -> dict[str, int]:
    """Whole-word counts of the identifiers in the enclosing function (one scan per request)."""
    lo, hi = _local_span(ctx)
    counts: dict[str, int] = {}
    for word in _IDENT.findall(ctx.text, lo, hi):
        counts[word] = counts.get(word, 0) + 1
    return counts


def receiver_uses(ctx: CursorContext) -> dict[str, tuple[int, int, int]]:
    """How this very receiver was used around the cursor: ``self.x`` earlier in the method is
    the best predictor of ``self.|`` (one scan per request, not one per candidate)."""
    receiver = (ctx.receiver or "").strip()
    if not receiver:
        return {}
    op = re.escape(ctx.member_operator or ".")
    pattern = re.compile(
        rf"(?<![\w.$]){re.escape(receiver)}[ \t]*{op}[ \t]*([A-Za-z_$][\w$]*)(?=([ \t]*\()?)"
    )
    lo_local, hi_local = _local_span(ctx)
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
_CALLABLE_KINDS = frozenset({"function", "method", "class", "struct", "constructor"})
_VALUE_KINDS = frozenset({"variable", "parameter", "constant", "property", "module", "enum"})


def _call_fit(cand: Candidate, ctx: CursorContext, inputs: RankingInputs) -> float:
    """Whether the candidate suits the text right after the cursor: ``(`` wants a callable;
    ``.`` or ``[`` rather a value."""
    nxt = ctx.text[ctx.word_end : ctx.word_end + 1]
    if nxt not in ("(", ".", "["):
        return 0.0
    callable_: bool | None = None
    if cand.kind in _CALLABLE_KINDS:
        callable_ = True
    elif cand.kind in _VALUE_KINDS:
        callable_ = False
    elif inputs.receiver_uses and cand.name in inputs.receiver_uses:
        _, _, calls = inputs.receiver_uses[cand.name]
        callable_ = calls > 0
    elif cand.kind == "field":
        callable_ = False
    if nxt == "." and ctx.receiver is None and cand.name in inputs.receiver_counts:
        return 1.0  # `sys|.path`: a name this file uses as a receiver
    if callable_ is None:
        return 0.0
    if nxt == "(":
        return 1.0 if callable_ else -1.0
    return -0.5 if callable_ and cand.kind != "class" else 0.0


def _enclosing_function(ctx: CursorContext) -> str | None:
    for scope in ctx.scopes:
        if scope.kind == "function":
            return scope.name
        if scope.kind in ("class", "module", "impl"):
            return None
    return None


def _local_span(ctx: CursorContext) -> tuple[int, int]:
    """The innermost function around the cursor, else a window of lines around it."""
    for scope in ctx.scopes:
        if scope.kind in ("function", "lambda") and scope.end > scope.start:
            return scope.start, scope.end
        if scope.kind in ("class", "module", "impl"):
            break
    return max(0, ctx.offset - LOCAL_WINDOW), ctx.offset + LOCAL_WINDOW


def _log_scale(n: int, full: int) -> float:
    return min(1.5, math.log1p(max(0, n)) / math.log1p(full)) if n > 0 else 0.0


def _recency(near: int, cand: Candidate, edits: Sequence[int]) -> float:
    spots = [near] + ([cand.symbol.start] if cand.symbol is not None else [])
    best = 0.0
    for age, edit in enumerate(edits[:8]):
        d = min(abs(edit - s) for s in spots)
        best = max(best, (1.0 - d / RECENCY_WINDOW) * (0.9**age))
    return best


def _privacy(name: str, prefix: str, receiver: str | None) -> float:
    if prefix.startswith("_") or not name.startswith("_"):
        return 0.0
    if name.startswith("__") and name.endswith("__"):
        return 1.5
    # A class reaching its own private state through `self` is the normal case.
    return 0.25 if receiver in _SELF_RECEIVERS else 1.0


def _keyword_fit(word: str, ctx: CursorContext) -> float:
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
