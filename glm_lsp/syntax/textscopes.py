"""Enclosing scopes from the text alone, for when error recovery has swallowed them.

An unclosed bracket or string on the cursor's line can turn a whole function into one ERROR
node; the tree then shows no scope at all although the cursor is plainly inside ``f``. Python
scopes follow from indentation; brace languages from the chain of unclosed ``{`` before the
cursor (found by a forward scan that skips comments and literals) and the header before each.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from glm_lsp.syntax.textscan import match_open


class TextScope(NamedTuple):
    """A scope found in the text; ``context.py`` turns it into a ``Scope``."""

    kind: str
    name: str
    start: int
    end: int


_PY_SCOPE_LINE = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+(\w+)")

BRACE_WINDOW = 30_000
"""Characters before the cursor searched for unclosed braces."""

_COMMENTS = r"//[^\n]*|/\*.*?(?:\*/|\Z)|"
_DOUBLE = r"\"(?:\\.|[^\"\\\n])*\"?|"
# C-like languages: '{' is a char literal and a lone quote a Rust lifetime; JavaScript and
# TypeScript: '...' is a string like "..." and `...` a template.
_C_TOKENS = re.compile(_COMMENTS + _DOUBLE + r"'(?:\\.|[^'\\\n])'|`(?:\\.|[^`\\])*`?|[{}]", re.S)
_JS_TOKENS = re.compile(_COMMENTS + _DOUBLE + r"'(?:\\.|[^'\\\n])*'?|`(?:\\.|[^`\\])*`?|[{}]", re.S)
_TYPE_HEADER = re.compile(
    r"\b(class|struct|union|enum|namespace|impl|trait|interface|mod|record)\b"
    r"(?:\s*<[^{;]*?>)?\s*([\w:.]*)"
)
_TYPE_KINDS = {
    "class": "class",
    "struct": "class",
    "union": "class",
    "enum": "class",
    "record": "class",
    "namespace": "namespace",
    "impl": "impl",
    "trait": "trait",
    "interface": "interface",
    "mod": "module",
}
_CONTROL = frozenset(
    "if for while switch catch match loop else do try return sizeof foreach with using lock "
    "synchronized".split()
)
_ASSIGNED = re.compile(r"(?:(?:export\s+)?(?:const|let|var|auto)\s+)?([\w$.]+)\s*[:=]\s*")
_NAME_BEFORE = re.compile(r"([A-Za-z_~$][\w:~$]*)\s*(?:<[^()]*>)?\s*$")


def python_scopes(text: str, line_start: int, indent: int) -> list[TextScope]:
    """Enclosing ``def``/``class`` lines above, by decreasing indentation."""
    out: list[TextScope] = []
    pos = line_start
    lines_seen = 0
    while pos > 0 and indent > 0 and lines_seen < 5000:
        prev_start = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev_start : pos - 1]
        pos = prev_start
        lines_seen += 1
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        line_indent = len(line) - len(stripped)
        if line_indent >= indent:
            continue
        indent = line_indent
        m = _PY_SCOPE_LINE.match(line)
        if m is not None:
            kind = "function" if m.group(2) == "def" else "class"
            out.append(TextScope(kind, m.group(3), prev_start + line_indent, len(text)))
    return out


def brace_scopes(
    text: str, offset: int, window_start: int | None = None, language: str = ""
) -> list[TextScope]:
    """Scopes opened by unclosed ``{`` before ``offset``, innermost first."""
    start = max(0, offset - BRACE_WINDOW) if window_start is None else window_start
    tokens = _JS_TOKENS if language in ("javascript", "typescript", "tsx") else _C_TOKENS
    open_braces: list[int] = []
    for m in tokens.finditer(text, start, offset):
        token = m.group()
        if token == "{":
            open_braces.append(m.start())
        elif token == "}" and open_braces:
            open_braces.pop()
    out: list[TextScope] = []
    for brace in reversed(open_braces):
        scope = _classify(text, brace)
        if scope is not None:
            out.append(scope)
    return out


def _classify(text: str, brace: int) -> TextScope | None:
    """What the header before an opening brace declares, if it declares a scope."""
    lo = max(0, brace - 400)
    header_start = _header_start(text, lo, brace)
    if text[header_start - 1 : header_start] == "}":
        # TypeScript `f(): { a: T; b: U } {`: an object type is part of the header
        opening = match_open(text, header_start - 1, lo, None)
        if opening > lo and text[:opening].rstrip().endswith(":"):
            header_start = _header_start(text, lo, opening)
    header_start += _signature_line(text[header_start:brace])
    header = text[header_start:brace]
    stripped = header.strip()
    if not stripped:
        return None
    begin = header_start + len(header) - len(header.lstrip())
    end = len(text)
    bound = _ASSIGNED.match(stripped)
    bound_name = bound.group(1) if bound is not None else ""
    if stripped.endswith("=>"):
        return TextScope("lambda", bound_name, begin, end)
    paren = _parameters_open(header)
    before = header[:paren] if paren >= 0 else header
    if paren >= 0 and before.rstrip().endswith("]"):
        return TextScope("lambda", bound_name, begin, end)  # C++ `[&](int x) {`
    found = _NAME_BEFORE.search(before) if paren >= 0 else None
    name = found.group(1) if found is not None else ""
    if paren >= 0 and name in ("function", "fn", "func"):
        return TextScope("function", bound_name, begin, end)
    if _assigns(stripped):
        return None  # `= {`: an initializer or object literal, not a scope
    typed = _TYPE_HEADER.search(header)
    if typed is not None and "(" not in header[: typed.start()]:
        return TextScope(_TYPE_KINDS[typed.group(1)], _type_name(header, typed), begin, end)
    if paren < 0 or name in _CONTROL:
        return None
    return TextScope("function", name, begin, end)


def _signature_line(header: str) -> int:
    """Offset in ``header`` of the line that starts the signature, so that statements before
    it (JavaScript without semicolons, a decorator) are not read as part of it."""
    paren = _parameters_open(header)
    if paren >= 0:
        return header.rfind("\n", 0, paren) + 1
    starts = [m.start() for m in _TYPE_HEADER.finditer(header)]
    return header.rfind("\n", 0, starts[-1]) + 1 if starts else 0


def _header_start(text: str, lo: int, brace: int) -> int:
    start = max(text.rfind(";", lo, brace), text.rfind("{", lo, brace))
    return max(start, text.rfind("}", lo, brace)) + 1


def _type_name(header: str, typed: re.Match[str]) -> str:
    if typed.group(1) == "impl":
        rest = header[typed.end() :]
        m = re.search(r"\bfor\s+([\w:]+)", rest)
        if m is not None:
            return m.group(1)
    return typed.group(2)


def _assigns(header: str) -> bool:
    """An ``=`` outside brackets (not ``==``, ``=>``, ``<=`` ...) before the brace."""
    depth = 0
    for i, ch in enumerate(header):
        if ch in "([<":
            depth += 1
        elif ch in ")]>" and depth > 0:
            depth -= 1
        elif ch == "=" and depth == 0:
            prev = header[i - 1] if i else " "
            nxt = header[i + 1] if i + 1 < len(header) else " "
            if prev not in "=!<>" and nxt not in "=>":
                return True
    return False


def _parameters_open(header: str) -> int:
    """The ``(`` of the last parenthesised group: a function's parameters (``-> T`` or
    ``const`` may follow it); -1 when there is none."""
    close = header.rfind(")")
    if close < 0:
        return -1
    depth = 0
    for i in range(close, -1, -1):
        ch = header[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                return i
    return -1
