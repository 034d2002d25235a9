"""Static completion candidates for one cursor position.

Two situations, one answer each:

- **after a receiver** (``x.``, ``p->``, ``ns::``) the members of the receiver: the members of its
  inferred type (workspace classes, then the builtin types of the language), the names of a module
  (``os.`` → what ``os`` defines), the enclosing class for ``self.``/``this.``; when the type is
  unknown, the members seen used on that receiver name elsewhere, and the members of any class that
  has those members (duck typing).
- **elsewhere** the names in scope, nearest first: locals and parameters, enclosing scopes, module
  level and imports, builtins, keywords; keyword-argument names inside a call; then the words of the
  document (the only source for languages without a grammar).

Inside strings and comments there are no candidates. Every source runs wrapped: a failure in one
(a half-written file, a bug, a missing module) is logged and contributes nothing.
"""

from __future__ import annotations

import heapq
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from glm_lsp.analysis.builtins import builtin_names
from glm_lsp.analysis.symbols import FileSymbols, Symbol
from glm_lsp.completion import lookups as sources
from glm_lsp.completion.matching import match_quality
from glm_lsp.completion.visibility import being_defined, name_being_defined, scope_distance, visible
from glm_lsp.syntax.context import CursorContext
from glm_lsp.syntax.words import IDENTIFIER

if TYPE_CHECKING:
    from glm_lsp.analysis.index import WorkspaceIndex

log = logging.getLogger(__name__)

SOURCE_PRIORITY = {
    "local": 0,
    "parameter": 0,
    "keyword-argument": 0,
    "member": 1,
    "enclosing": 2,
    "module": 3,
    "import": 3,
    "builtin": 4,
    "keyword": 5,
    "workspace": 6,
    "model": 7,
    "word": 8,
}
"""When one name comes from several sources, the nearest one describes it."""

_IMPLICIT_THIS = {"java", "cpp", "c_sharp", "kotlin"}
"""Languages whose methods see the fields of their class without ``this.``."""
_PY_MODULE_GLOBALS = ("__name__", "__file__", "__doc__", "__spec__", "__package__", "__all__")
"""What every Python module has without defining it."""
_POPULARITY_SHARE = 4
"""A module's own uses of a name count this many times less than its users' uses."""
_SELF_NAMES = {"self", "this", "cls", "Self"}
_WORD_WINDOW = 4000
_FRESH_WINDOW = 400
MAX_UNPREFIXED_WORDS = 1000
"""Words offered with nothing typed yet: the most frequent ones. Every identifier of a 5 MB
file (26,000) was ranked for a request in its indentation (0.8 s)."""


@dataclass
class Candidate:
    name: str
    kind: str
    source: str
    symbol: Symbol | None = None
    type: str | None = None
    detail: str | None = None
    scope_distance: int = 0
    insert_text: str | None = None
    model_score: float | None = None
    guessed: bool = False
    """A member of a type the receiver might have (its type is unknown): ranked after the
    members seen used, whatever its kind says about the text after the cursor."""


@dataclass
class CandidateSet:
    """Candidates plus what was learnt about the receiver (the ranking and history need it)."""

    candidates: list[Candidate] = field(default_factory=list)
    receiver_type: str | None = None
    receiver_keys: tuple[str, ...] = ()
    """Keys of ``member_counts`` that describe the receiver: ``type:list``, ``name:self.config``."""
    member_counts: dict[str, int] = field(default_factory=dict)
    """Uses of each member after this receiver (file + workspace), for the frequency feature."""
    expected_type: str | None = None
    """The type the cursor wants, resolved through the analysis (``ctx.expected`` may only
    name a peer expression or a called function)."""
    failures: list[str] = field(default_factory=list)
    prefix: str = ""
    """What was typed: candidates that cannot match it are dropped as they are added."""
    _seen: dict[str, bool] = field(default_factory=dict, repr=False)

    def wants(self, name: str) -> bool:
        """Whether ``name`` can match the prefix (memoised: sources repeat names)."""
        if not self.prefix:
            return True
        ok = self._seen.get(name)
        if ok is None:
            label = name[:-1] if name.endswith("=") else name
            ok = self._seen[name] = match_quality(self.prefix, label) is not None
        return ok

    def add(self, cand: Candidate) -> None:
        if self.wants(cand.name):
            self.candidates.append(cand)


def collect(
    ctx: CursorContext,
    file: FileSymbols,
    index: WorkspaceIndex | None,
    path: str | None = None,
    fresh: bool = True,
) -> CandidateSet:
    """All static candidates for ``ctx``, de-duplicated by name (nearest source wins).

    ``fresh`` says whether ``file`` was extracted from the current text; when it was not, the
    lines around the cursor are scanned for names typed since.
    """
    out = CandidateSet(prefix=ctx.prefix)
    if ctx.in_string or ctx.in_comment:
        return out
    language = file.language or (ctx.language.name if ctx.language else None)
    if ctx.receiver is not None:
        _run(out, "members", lambda: _members(ctx, file, index, language, path, out))
    else:
        lang = language or ""
        _run(out, "expected", lambda: _expected(ctx, file, index, lang, out))
        _run(out, "keyword-arguments", lambda: _keyword_arguments(ctx, file, index, language, out))
        if ctx.language is not None:
            _run(out, "scope", lambda: _scope_names(ctx, file, language, out))
            _run(out, "builtins", lambda: _builtins(language, out))
            _run(out, "keywords", lambda: _keywords(ctx, out))
        _run(out, "words", lambda: _words(ctx, file, out, fresh))
    out.candidates = dedupe(out.candidates)
    return out


def _expected(
    ctx: CursorContext,
    file: FileSymbols,
    index: WorkspaceIndex | None,
    lang: str,
    out: CandidateSet,
) -> None:
    out.expected_type = sources.expected_type(ctx, file, index, lang)


def dedupe(cands: Iterable[Candidate]) -> list[Candidate]:
    """One candidate per name: the nearest source, completed with the others' type and detail."""
    best: dict[str, Candidate] = {}
    for cand in cands:
        if not cand.name:
            continue
        key = cand.insert_text or cand.name
        old = best.get(key)
        if old is None:
            best[key] = cand
            continue
        keep, other = (old, cand) if _priority(old) <= _priority(cand) else (cand, old)
        keep.type = keep.type or other.type
        keep.detail = keep.detail or other.detail
        if keep.symbol is None and other.symbol is not None and keep.kind == "field":
            keep.kind = other.kind  # a member seen used, which a known type defines
        keep.symbol = keep.symbol or other.symbol
        if other.model_score is not None:
            keep.model_score = max(keep.model_score or 0.0, other.model_score)
        best[key] = keep
    return list(best.values())


def _priority(cand: Candidate) -> tuple[int, int]:
    return SOURCE_PRIORITY.get(cand.source, 9), cand.scope_distance


def _run(out: CandidateSet, name: str, source: Callable[[], object]) -> None:
    try:
        source()
    except Exception as exc:  # one broken source must not empty the dropdown
        log.warning("completion source %s failed: %s", name, exc, exc_info=True)
        out.failures.append(f"{name}: {exc}")


def from_symbol(sym: Symbol, source: str, distance: int = 0) -> Candidate:
    detail = sym.signature or sym.type
    if sym.kind in ("function", "method") and sym.signature:
        detail = sym.signature
    return Candidate(
        name=sym.name,
        kind=sym.kind,
        source=source,
        symbol=sym,
        type=sym.returns if sym.kind in ("function", "method") else sym.type,
        detail=detail,
        scope_distance=distance,
    )


# --- after a receiver -------------------------------------------------------------------------


def _members(
    ctx: CursorContext,
    file: FileSymbols,
    index: WorkspaceIndex | None,
    language: str | None,
    path: str | None,
    out: CandidateSet,
) -> None:
    receiver = (ctx.receiver or "").strip()
    if not receiver:
        return
    lang = language or ""
    keys: list[str] = []
    found = False
    # A module: `os.` / `os.path.` / an alias from `import numpy as np`.
    module = sources.module_file(receiver, file, index, lang, path)
    popularity: dict[str, int] = {}
    if module is not None:
        found = True
        for sym in sources.module_members(receiver, file, index, lang, path) or ():
            # What a module merely imported is reachable through it but rarely used that way.
            out.add(from_symbol(sym, "member", distance=2 if sym.kind == "module" else 0))
            # How central a name is to its own module hints how much its users need it.
            popularity[sym.name] = module.identifier_counts.get(sym.name, 0) // _POPULARITY_SHARE
    rtype: str | None = None
    if not found:
        rtype = sources.receiver_type(ctx, receiver, file, index)
    out.receiver_type = rtype
    if rtype:
        base = sources.base_type(rtype)
        keys.append(f"type:{base}")
        syms = sources.type_members(base, file, index, lang)
        found = found or bool(syms)
        for sym in syms:
            out.add(from_symbol(sym, "member"))
    if receiver not in _SELF_NAMES or not rtype:
        # `self` is every class's receiver: its uses say nothing about this class's members.
        keys.append(f"name:{receiver}")
    out.receiver_keys = tuple(keys)
    used = sources.used_members(keys, file, index, ctx.text, ctx.replace_start)
    current = ctx.text[ctx.replace_start : ctx.word_end]
    if current in used:  # the half-typed member under the cursor is no evidence for itself
        used[current] -= 1
        if used[current] <= 0:
            del used[current]
    for name, n in popularity.items():
        if n > used.get(name, 0):
            used[name] = n
    out.member_counts = used
    for name in used:
        if name not in popularity:
            out.add(
                Candidate(name, "field", "member", detail=f"used on {receiver}", scope_distance=1)
            )
    if not found and used:
        # Duck typing: classes that define what this receiver is used for.
        for sym in sources.classes_with_members(set(used), file, lang):
            out.add(from_symbol(sym, "member", distance=2))
    if not found:
        # The type is unknown: any attribute this file uses is possible, the ones seen on this
        # receiver (above) first.
        for name in sources.all_members(file):
            out.add(Candidate(name, "field", "member", detail="attribute", scope_distance=3))
        # Most receivers of unknown type are strings and containers: their methods last.
        for sym in sources.common_members(lang):
            if out.wants(sym.name):
                guess = from_symbol(sym, "member", distance=4)
                guess.guessed = True
                out.add(guess)


# --- names in scope -----------------------------------------------------------------------------


def _scope_names(
    ctx: CursorContext, file: FileSymbols, language: str | None, out: CandidateSet
) -> None:
    offset = ctx.offset
    classes = [s for s in ctx.scopes if s.kind in ("class", "impl")]
    implicit_this = language in _IMPLICIT_THIS and classes
    scope_starts = {s.start for s in ctx.scopes if s.kind != "module"}
    defining = name_being_defined(ctx)
    for sym in sources.symbols_starting(file, ctx.prefix[:1]):
        if not out.wants(sym.name):
            continue
        if sym.container is not None:
            # Members are bare names only inside their class, in languages with implicit `this`.
            if implicit_this and sym.container == classes[0].name:
                out.add(from_symbol(sym, "enclosing", distance=1))
            continue
        if not visible(sym, offset, scope_starts) or being_defined(sym, ctx, defining):
            continue
        if sym.kind == "module" or sym.origin:
            out.add(from_symbol(sym, "import", len(ctx.scopes)))
        elif not sym.local:
            out.add(from_symbol(sym, "module", len(ctx.scopes)))
        else:
            distance = scope_distance(ctx, sym)
            source = "parameter" if sym.kind == "parameter" else "local"
            out.add(from_symbol(sym, source if distance == 0 else "enclosing", distance))
    for local, target in file.imports.items():
        if not local.startswith("*"):
            out.add(Candidate(local, "module", "import", detail=target, scope_distance=9))


def _builtins(language: str | None, out: CandidateSet) -> None:
    for sym in builtin_names(language or ""):
        if out.wants(sym.name):
            out.add(from_symbol(sym, "builtin", distance=9))
    if language == "python":
        for name in _PY_MODULE_GLOBALS:
            out.add(Candidate(name, "variable", "builtin", scope_distance=9))


def _keywords(ctx: CursorContext, out: CandidateSet) -> None:
    spec = ctx.language
    if spec is None:
        return
    for word in spec.keywords:
        out.add(Candidate(word, "keyword", "keyword", scope_distance=9))


def _keyword_arguments(
    ctx: CursorContext,
    file: FileSymbols,
    index: WorkspaceIndex | None,
    language: str | None,
    out: CandidateSet,
) -> None:
    """``name=`` for the parameters of the called function not given yet (Python only)."""
    expected = ctx.expected
    if language != "python" or expected is None or expected.source != "argument":
        return
    names = list(expected.keyword_names)
    if not names and expected.callee:
        sym = sources.callee_symbol(ctx, expected.callee, file, index, language)
        names = [n for n, _ in sources.call_params(sym)] if sym is not None else []
    written = set(re.findall(r"(\w+)\s*=(?!=)", _call_text(ctx)))
    for name in names:
        if name in written or name.startswith("*") or not name.isidentifier():
            continue
        out.add(Candidate(name + "=", "parameter", "keyword-argument", insert_text=name + "="))


def _call_text(ctx: CursorContext) -> str:
    """Text of the current argument list (to skip keywords already given)."""
    start = ctx.text.rfind("(", max(0, ctx.offset - 2000), ctx.offset)
    return ctx.text[start : ctx.offset] if start >= 0 else ""


def _words(ctx: CursorContext, file: FileSymbols, out: CandidateSet, fresh: bool) -> None:
    """Identifiers of the document: a safety net for names the analysis missed or just typed.

    The analysis counts identifiers outside strings and comments; the raw text around the cursor
    is only scanned when those counts are older than the text (or there is no grammar), since it
    also holds the prose of comments.
    """
    current = ctx.text[ctx.replace_start : ctx.word_end]
    defining = name_being_defined(ctx)
    counts = file.identifier_counts
    near: set[str] = set()
    if not fresh or ctx.language is None:
        window = _WORD_WINDOW if ctx.language is None else _FRESH_WINDOW
        lo, hi = max(0, ctx.offset - window), ctx.offset + window
        near = {m.group() for m in IDENTIFIER.finditer(ctx.text, lo, hi)}
    keywords = set(ctx.language.keywords) if ctx.language else set()
    attributes = sources.all_members(file)
    # The document has thousands of words: only those with a word part starting like the prefix.
    if ctx.prefix:
        words = sources.words_starting(file, ctx.prefix[:1])
    elif len(counts) > MAX_UNPREFIXED_WORDS:
        words = heapq.nlargest(MAX_UNPREFIXED_WORDS, counts, key=counts.__getitem__)
    else:
        words = list(counts)
    for word in [*words, *sorted(near - counts.keys())]:
        if attributes.get(word, 0) >= counts.get(word, 0) > 0:
            continue  # only ever used as `x.word`: not a name in scope
        if (word in (current, defining) and counts.get(word, 1) <= 1) or word in keywords:
            continue
        if word[0].isdigit():
            continue
        out.add(Candidate(word, "text", "word", scope_distance=10))
