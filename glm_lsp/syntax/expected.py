"""The expected type at the cursor, read from the text just before the expression being typed.

Assignments, returns, comparisons and call arguments are recognised lexically (the code there is
half-written, so the tree is least trustworthy exactly here); only the declared return type of the
enclosing function comes from the tree, through the ``return_type`` callback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from glm_lsp.syntax.languages import LanguageSpec
from glm_lsp.syntax.textscan import (
    enclosing_call,
    expression_start,
    family,
    ident_start,
    match_angle,
)

_C_MODIFIERS = (
    r"(?:(?:final|static|const|constexpr|volatile|extern|register|private|public|protected|"
    r"thread_local|inline|mutable|transient)\s+)*"
)
_C_DECL = re.compile(
    rf"^\s*{_C_MODIFIERS}(?P<t>[A-Za-z_][\w:<>,.\[\]\s]*?[\w>\]])(?P<p>[\s*&]+)"
    r"[A-Za-z_]\w*\s*(?:\[[^\]]*\]\s*)*$"
)
_ANNOTATED: dict[str, re.Pattern[str]] = {
    "python": re.compile(r"^\s*(?:self\.)?[^\W\d][\w.]*\s*:\s*(?P<t>.+?)\s*$"),
    "typescript": re.compile(
        r"^\s*(?:(?:export|declare|const|let|var|readonly|public|private|protected|static|"
        r"override)\s+)*[\w$]+[?!]?\s*:\s*(?P<t>.+?)\s*$"
    ),
    "go": re.compile(r"^\s*(?:var|const)\s+\w+(?:\s*,\s*\w+)*\s+(?P<t>[^=]+?)\s*$"),
    "rust": re.compile(
        r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:let(?:\s+mut)?|const|static(?:\s+mut)?)\s+"
        r"\w+\s*:\s*(?P<t>.+?)\s*$"
    ),
}
_ANNOTATED["tsx"] = _ANNOTATED["typescript"]
_NOT_TYPES = frozenset(
    "return else case goto delete throw new auto var let const yield await typedef using".split()
)
_CALL_KEYWORDS = frozenset(
    "return await yield new throw case in not and or is else do print typeof delete void".split()
)
_DEFINERS = frozenset({"def", "class", "function", "fn", "func", "async"})
_CONTROL = frozenset(
    "if elif while for switch catch match with return sizeof typeof foreach until".split()
)
_GENERIC_CALLS = frozenset({"cpp", "rust", "typescript", "tsx", "java"})
_GO_FUNC_HEAD = re.compile(r"\bfunc\s*(?:\([^)]*\)\s*)?$")
_MAX_DECLARATION = 300
_COMPARISONS = ("===", "!==", "==", "!=", "<=", ">=")
_ASSIGN_OPERATORS = ("+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "<<=", ">>=", "//=", "**=")


@dataclass(frozen=True)
class ExpectedType:
    """What the cursor position wants, and why."""

    type: str | None  # e.g. "int", "list[str]", "Foo"; None when only names are known
    source: str  # "annotation" | "argument" | "return" | "comparison" | "keyword-argument"
    # | "assignment" ("argument": at the start of an argument, or its member access)
    keyword_names: tuple[str, ...] = ()  # keyword parameters of the called function, if any
    # (syntax leaves it empty: the parameters are resolved by the engine from ``callee``)
    callee: str | None = None  # name of the function being called, when in an argument list
    argument_index: int | None = None  # as written: ``self`` of a method call is not counted
    peer: str | None = None
    """Source text whose type the cursor should match: the other operand of a comparison
    (``source="comparison"``) or the target of a plain assignment (``source="assignment"``)."""
    keyword: str | None = None  # the keyword argument being filled (`f(name=|)`)


@dataclass(frozen=True)
class CallSite:
    callee: str
    argument_index: int
    arg_start: int


def _strip_spaces_back(text: str, i: int) -> int:
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    return i


def _word_before(text: str, end: int, spec: LanguageSpec | None) -> str:
    end = _strip_spaces_back(text, end)
    return text[ident_start(text, end, spec) : end]


def call_site(
    text: str, found: tuple[int, int, int] | None, spec: LanguageSpec | None
) -> CallSite | None:
    """The call whose argument list is ``found`` (definitions and ``if (`` excluded)."""
    if found is None:
        return None
    paren, index, arg_start = found
    callee_end = _strip_spaces_back(text, paren) if family(spec) == "python" else paren
    if family(spec) in ("rust", "cpp") and text.startswith("!", callee_end - 1):
        callee_end -= 1  # Rust macros `println!(`
    if callee_end > 0 and text[callee_end - 1] == ">" and family(spec) in _GENERIC_CALLS:
        angle = match_angle(text, callee_end - 1, max(0, callee_end - 400))
        if angle > 0:  # `f<T>(`, `$state<string | null>(`, turbofish `parse::<T>(`: `f`
            callee_end = _strip_spaces_back(text, angle)
            if text.startswith("::", callee_end - 2):
                callee_end -= 2
    callee_start = expression_start(text, callee_end, spec)
    callee = text[callee_start:callee_end]
    if not callee or callee[0].isdigit() or callee in _CONTROL:
        return None
    before = _word_before(text, callee_start, spec)
    if before in _DEFINERS:
        return None
    lang = family(spec)
    if lang in ("c", "cpp", "java") and before and before not in _CALL_KEYWORDS:
        return None  # `int f(` declares, it does not call
    if lang == "go" and _GO_FUNC_HEAD.search(text, max(0, callee_start - 200), callee_start):
        return None
    return CallSite(callee, index, arg_start)


def _segment(text: str, end: int, arg_start: int | None, line_start: int) -> str:
    start = line_start
    if arg_start is not None and arg_start > start:
        start = arg_start
    segment = text[start:end]
    cut = max(segment.rfind(";"), segment.rfind("{"), segment.rfind("}"))
    return segment[cut + 1 :] if cut >= 0 else segment


def _annotation(lang: str, segment: str) -> str | None:
    if lang in ("c", "cpp", "java"):
        m = _C_DECL.match(segment)
        if m is None:
            return None
        base = " ".join(m.group("t").split())
        if base.split()[0] in _NOT_TYPES or base in _NOT_TYPES:
            return None
        return base + m.group("p").replace(" ", "").replace("\t", "")
    pattern = _ANNOTATED.get(lang)
    m = pattern.match(segment) if pattern is not None else None
    return m.group("t") if m is not None else None


_PY_DEF = re.compile(r"(?m)^([ \t]*)(?:async[ \t]+)?def[ \t][^\n]*")
_PY_RETURNS = re.compile(r"->\s*(.+?)\s*:\s*(?:#.*)?$")


def python_return_annotation(text: str, end: int) -> str | None:
    """Without a tree: the ``-> T`` of the nearest ``def`` above that is indented less than
    the line at ``end`` (``None`` when that ``def`` has no annotation)."""
    line_start = text.rfind("\n", 0, end) + 1
    line = text[line_start:end]
    indent = len(line) - len(line.lstrip())
    window_start = max(0, line_start - 20000)
    for m in reversed(list(_PY_DEF.finditer(text, window_start, line_start))):
        if len(m.group(1)) < indent:
            returns = _PY_RETURNS.search(m.group(0))
            return returns.group(1) if returns is not None else None
    return None


def expected_at(
    text: str,
    expr_start: int,
    spec: LanguageSpec | None,
    return_type: Callable[[], str | None],
) -> tuple[ExpectedType | None, CallSite | None]:
    """What the expression starting at ``expr_start`` should evaluate to, and the enclosing call."""
    lang = family(spec)
    parens = enclosing_call(text, expr_start, spec)
    call = call_site(text, parens, spec)
    end = _strip_spaces_back(text, expr_start)
    line_start = text.rfind("\n", 0, end) + 1
    word = text[ident_start(text, end, spec) : end]

    if word == "return":
        declared = return_type()
        return ExpectedType(type=declared, source="return"), call

    python_is = lang == "python" and word == "is"
    python_is_not = lang == "python" and word == "not" and _word_before(text, end - 3, spec) == "is"
    if python_is or python_is_not:
        op_start = (
            end - 2 if python_is else ident_start(text, _strip_spaces_back(text, end - 3), spec)
        )
        peer_end = _strip_spaces_back(text, op_start)
        peer = text[expression_start(text, peer_end, spec) : peer_end]
        return (ExpectedType(type=None, source="comparison", peer=peer or None), call)

    for op in _COMPARISONS:
        if text.startswith(op, end - len(op)):
            peer_end = _strip_spaces_back(text, end - len(op))
            peer = text[expression_start(text, peer_end, spec) : peer_end]
            return ExpectedType(type=None, source="comparison", peer=peer or None), call

    if end > 0 and text[end - 1] == "=" and (end < 2 or text[end - 2] not in "=!<>:"):
        for op in _ASSIGN_OPERATORS:
            if text.startswith(op, end - len(op)):
                target_end = _strip_spaces_back(text, end - len(op))
                target = text[expression_start(text, target_end, spec) : target_end]
                return ExpectedType(type=None, source="assignment", peer=target or None), call
        eq = end - 1
        segment = _segment(text, eq, parens[2] if parens is not None else None, line_start)
        if len(segment) > _MAX_DECLARATION:
            segment = ""  # no declaration is that long; spare the regexes a pathological line
        if call is not None and lang == "python" and segment.strip().isidentifier():
            return (
                ExpectedType(
                    type=None,
                    source="keyword-argument",
                    callee=call.callee,
                    argument_index=call.argument_index,
                    keyword=segment.strip(),
                ),
                call,
            )
        declared = _annotation(lang, segment)
        if declared is not None:
            return ExpectedType(type=declared, source="annotation"), call
        target_end = _strip_spaces_back(text, eq)
        target = text[expression_start(text, target_end, spec) : target_end]
        return ExpectedType(type=None, source="assignment", peer=target or None), call

    if call is not None and not text[call.arg_start : expr_start].strip():
        return (
            ExpectedType(
                type=None,
                source="argument",
                callee=call.callee,
                argument_index=call.argument_index,
            ),
            call,
        )
    return None, call
