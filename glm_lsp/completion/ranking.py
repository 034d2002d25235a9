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
                                not, 0 either is unknown (``analysis.typenames.type_fits``)
freq_file       0.6    0        ``log1p(n) / log1p(64)`` of the name's occurrences in this file
freq_local      0.15   0.3      ``log1p(n) / log1p(16)`` of its whole-word occurrences in the
                                enclosing function
freq_workspace  0.75   0.35     ``log1p(n) / log1p(1024)`` of its occurrences in the workspace
freq_member     n/a    1.5      ``log1p(n) / log1p(32)`` of its uses after this receiver's type
                                or name, in the file and the workspace
member_local    n/a    0.5      ``log1p(n) / log1p(8)`` of its uses after this same receiver
                                text in the enclosing function (``self.x`` earlier in the method)
member_near     n/a    4.0      ``1 - d / 3000`` for the nearest use after this receiver text
successor       n/a    3.5      ``log1p(n) / log1p(4)``: ``n`` times the member followed, elsewhere
                                on this receiver, the member used just before the cursor
                                (sequences repeat: ``self.begin(); self.write()``)
predecessor     n/a    2.0      the same for the member that preceded the one used just after
scope           1.4    2.4      nearness of the source: local/parameter 1, member .8, enclosing
                                .7, module/import .6, builtin .35, keyword .3, workspace .15,
                                word 0; minus .1 per scope (or base class) crossed
proximity       0.5    0.45     ``1 - d / 3000`` for the nearest other occurrence of the name
close           0.6    0.4      ``1 - d / 300``: the same, for an occurrence a few lines away
delegation      n/a    0.4      1 for the member named like the enclosing function
                                (``super().f()`` in ``f``, a wrapper delegating to its target)
call_fit        1.2    4.0      +1 a callable before ``(``, -1 a value before ``(``, -.5 a
                                function before ``.``/``[`` (kind, or how the member was used);
                                +1 before ``.`` for a name the file uses as a receiver; a member
                                only seen used (no declaration) is neither; never positive for a
                                guessed member
line_affinity   0.6    0.5      1 when the name shares a word part with another identifier on the
                                line (``for action in self._actions``, ``width = self._width``)
line_after      -1.0   -1.5     1 for a name written after the cursor on its line: editing inside
                                a line, the missing name is rarely one already there
                                (``(self.|, self.b)``)
later           -1.5   -1.5     1 for a name first defined below the cursor (a local of this
                                function, or a module name in top-level code): not usable yet
recency         0.6    0.6      ``1 - d / 1500`` from the latest edits (``note_edit``) to the name
history         1.0    1.0      accept-history boost in this context (history.py, ``[0, 2]``)
private         -1.5   -1.5     1 for ``_private`` (.25 after ``self.``), 1.5 for ``__dunder__``
                                (.5 for ``super().__init__`` and data dunders such as
                                ``x.__name__``); 0 once ``_`` is typed
keyword         0.8    n/a      +1 statement keyword at a statement start, -1 where it cannot go
                                (a statement inside an expression, ``in``/``and`` where an operand
                                is expected, anything but an operator right after a value)
model           2.0    2.0      the model's confidence ``[0, 1]`` for candidates it proposed
guessed         -3.0   -3.0     1 for a method of a common builtin type (``str``, ``list``…)
                                offered because the receiver's type is unknown
==============  =====  =======  =================================================================

Ties are broken by source nearness, then shorter name, then name, so the order is deterministic.
``sort_text`` is the zero-padded rank: editors sort by it and keep our order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from glm_lsp.analysis.typenames import type_fits
from glm_lsp.completion.candidates import SOURCE_PRIORITY, Candidate
from glm_lsp.completion.matching import match_quality
from glm_lsp.completion.signals import (
    PROXIMITY_WINDOW,
    called_names,
    enclosing_function,
    keyword_fit,
    line_after,
    line_identifiers,
    local_counts,
    member_neighbours,
    nearest_occurrence,
    receiver_uses,
    word_parts,
)
from glm_lsp.syntax.context import CursorContext

WEIGHTS: dict[str, float] = {
    "match": 4.0,
    "type_fit": 1.0,
    "freq_file": 0.6,
    "freq_local": 0.15,
    "freq_workspace": 0.75,
    "freq_member": 1.5,
    "member_local": 0.5,
    "member_near": 4.0,
    "scope": 1.4,
    "proximity": 0.5,
    "close": 0.6,
    "delegation": 0.4,
    "call_fit": 1.2,
    "line_affinity": 0.6,
    "later": -1.5,
    "recency": 0.6,
    "history": 1.0,
    "private": -1.5,
    "keyword": 0.8,
    "model": 2.0,
    "guessed": -3.0,
    "line_after": -1.0,
    "successor": 3.5,
    "predecessor": 2.0,
}
"""Weights for names (no receiver); the table in the module docstring explains each."""

MEMBER_WEIGHTS: dict[str, float] = {
    **WEIGHTS,
    "freq_file": 0.0,
    "freq_local": 0.3,
    "freq_workspace": 0.35,
    "scope": 2.4,
    "proximity": 0.45,
    "close": 0.4,
    "call_fit": 4.0,
    "line_affinity": 0.5,
    "line_after": -1.5,
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

RECENCY_WINDOW = 1500

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
    line_words: Mapping[str, frozenset[str]] | None = None
    """The other identifiers on the cursor's line with their word parts; computed by
    :func:`rank`."""
    neighbours: tuple[Mapping[str, int], Mapping[str, int]] | None = None
    """Members that followed the receiver's previous member elsewhere, and that preceded its
    next one (``signals.member_neighbours``); computed by :func:`rank` when None."""
    called: frozenset[str] | None = None
    """Bare names called in the enclosing function; computed by :func:`rank` when None."""
    line_after: frozenset[str] = frozenset()
    """The identifiers after the cursor on its line; computed by :func:`rank`."""
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
    if ctx.receiver is not None and inputs.neighbours is None:
        inputs = replace(inputs, neighbours=member_neighbours(ctx))
    if inputs.local_counts is None:
        inputs = replace(inputs, local_counts=local_counts(ctx))
    if inputs.called is None and ctx.receiver is None:
        inputs = replace(inputs, called=called_names(ctx))
    if inputs.line_words is None:
        inputs = replace(inputs, line_words=line_identifiers(ctx), line_after=line_after(ctx))
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
        follows, precedes = inputs.neighbours or ({}, {})
        if follows.get(cand.name):
            feats["successor"] = _log_scale(follows[cand.name], 4)
        if precedes.get(cand.name):
            feats["predecessor"] = _log_scale(precedes[cand.name], 4)
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
        feats["close"] = max(0.0, 1.0 - abs(near - ctx.offset) / 300)
        if inputs.recent_edits:
            feats["recency"] = _recency(near, cand, inputs.recent_edits)
    if ctx.receiver is not None and cand.name == enclosing_function(ctx):
        feats["delegation"] = 1.0  # `def read(self): return self._raw.read()`, `super().f()`
    if inputs.line_words and cand.source != "keyword":
        if cand.name in inputs.line_words and cand.name in inputs.line_after:
            feats["line_after"] = 1.0  # `(self.|, self.b)`: not `b` again
        parts = word_parts(cand.name)
        if any(parts & p for w, p in inputs.line_words.items() if w != cand.name):
            feats["line_affinity"] = 1.0  # `for action in self._actions`
    if _defined_later(cand, ctx):
        feats["later"] = 1.0
    fit = _call_fit(cand, ctx, inputs)
    if cand.guessed:
        feats["guessed"] = 1.0
        fit = min(fit, 0.0)  # a guessed type's method is no evidence of a call
    if fit:
        feats["call_fit"] = fit
    if cand.name in inputs.history:
        feats["history"] = inputs.history[cand.name]
    used = ctx.receiver is not None and inputs.member_counts.get(cand.name, 0) > 0
    feats["private"] = _privacy(cand.name, ctx.prefix, ctx.receiver, used)
    if cand.source == "keyword":
        feats["keyword"] = keyword_fit(cand.name, ctx)
    if cand.model_score is not None:
        feats["model"] = cand.model_score
    return {k: round(v, 4) for k, v in feats.items() if v}


_CALLABLE_KINDS = frozenset({"function", "method", "class", "struct", "constructor"})
_VALUE_KINDS = frozenset({"variable", "parameter", "constant", "property", "enum"})
"""(Imported names are all "module" to the analysis: `from math import log` is callable.)"""


def _defined_later(cand: Candidate, ctx: CursorContext) -> bool:
    """A name first assigned below the cursor in straight-line code is not usable here yet:
    a local after the cursor in its function, a module name after the cursor at top level."""
    sym = cand.symbol
    if sym is None or sym.start <= ctx.offset or ctx.receiver is not None:
        return False
    if sym.local:
        return True
    at_top_level = not any(s.kind in ("function", "lambda") for s in ctx.scopes)
    return cand.source == "module" and at_top_level


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
        callable_ = bool(inputs.called) and cand.name in (inputs.called or ())
    elif inputs.receiver_uses and cand.name in inputs.receiver_uses:
        _, _, calls = inputs.receiver_uses[cand.name]
        callable_ = calls > 0
    elif cand.kind == "field" and cand.symbol is not None:
        callable_ = False  # a declared field (a member merely seen used may be a method)
    if nxt == "." and ctx.receiver is None and cand.name in inputs.receiver_counts:
        return 1.0  # `sys|.path`: a name this file uses as a receiver
    if callable_ is None:
        return 0.0
    if nxt == "(":
        return 1.0 if callable_ else -1.0
    return -0.5 if callable_ and cand.kind != "class" else 0.0


def _log_scale(n: int, full: int) -> float:
    return min(1.5, math.log1p(max(0, n)) / math.log1p(full)) if n > 0 else 0.0


def _recency(near: int, cand: Candidate, edits: Sequence[int]) -> float:
    spots = [near] + ([cand.symbol.start] if cand.symbol is not None else [])
    best = 0.0
    for age, edit in enumerate(edits[:8]):
        d = min(abs(edit - s) for s in spots)
        best = max(best, (1.0 - d / RECENCY_WINDOW) * (0.9**age))
    return best


_OPEN_DUNDERS = frozenset(
    "__name__ __class__ __dict__ __doc__ __module__ __qualname__ __file__ __path__ "
    "__wrapped__ __func__ __self__ __code__ __annotations__ __mro__ __bases__".split()
)
"""Dunder attributes that code reads as data (``cls.__name__``), unlike the protocol methods."""


def _privacy(name: str, prefix: str, receiver: str | None, used: bool = False) -> float:
    """``used``: the member is already used after this receiver (its type or its name)."""
    if prefix.startswith("_") or not name.startswith("_"):
        return 0.0
    if name.startswith("__") and name.endswith("__"):
        if receiver == "super()" or (receiver is not None and name in _OPEN_DUNDERS):
            return 0.5  # `super().__init__(…)`, `type(x).__name__`
        return 1.5
    # A class reaching its own private state through `self` is the normal case, and so is
    # a module reaching the private state it already reaches elsewhere (`other._value`).
    return 0.25 if receiver in _SELF_RECEIVERS or used else 1.0
