"""Backward text scanners for the cursor context.

Completion happens in half-typed code, exactly where tree-sitter's error recovery produces its
oddest trees (``self.`` followed by a newline is an ERROR node that swallows neighbours). What the
cursor context needs from that region — the identifier being typed, the receiver before ``.``,
the open call around the cursor — is local and lexical, so these scanners read the text backwards
over balanced brackets and string literals instead. They work without any tree and never look
further back than ``LOOKBACK`` characters, so they are cheap on any file size.
"""

from __future__ import annotations

import re

from glm_lsp.syntax.languages import LanguageSpec

LOOKBACK = 4000
"""How far back (in characters) an enclosing call or a receiver expression is searched."""

MAX_IDENTIFIER = 512
"""Identifier scans stop here: a longer run of letters is data (base64, minified), not a name."""

MAX_LINE_SCAN = 5000
"""Longer line prefixes are not scanned for quotes (their string state is reported unknown)."""

_JS_FAMILY = frozenset({"javascript", "typescript", "tsx"})
_OPEN = {")": "(", "]": "[", "}": "{"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def family(spec: LanguageSpec | None) -> str:
    return spec.name if spec is not None else ""


def is_ident_char(ch: str, spec: LanguageSpec | None) -> bool:
    """Unicode letters, digits and combining marks (``XID_Continue``), ``_``, and ``$`` where
    the language allows it."""
    if ch.isalnum() or ch == "_":
        return True
    if ch == "$":
        return family(spec) in _JS_FAMILY
    return not ch.isascii() and ("a" + ch).isidentifier()


def ident_start(text: str, end: int, spec: LanguageSpec | None) -> int:
    """Start of the identifier ending at ``end`` (at most ``MAX_IDENTIFIER`` characters back)."""
    i = end
    floor = max(0, end - MAX_IDENTIFIER)
    while i > floor and is_ident_char(text[i - 1], spec):
        i -= 1
    return i


def ident_end(text: str, start: int, spec: LanguageSpec | None) -> int:
    i, n = start, min(len(text), start + MAX_IDENTIFIER)
    while i < n and is_ident_char(text[i], spec):
        i += 1
    return i


def line_bounds(text: str, offset: int) -> tuple[int, int]:
    """Start and end of the line holding ``offset``; the end excludes a ``\\r`` before ``\\n``."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    if end < 0:
        end = len(text)
    if end > offset and text[end - 1] == "\r":
        end -= 1
    return start, end


def _quote_chars(spec: LanguageSpec | None) -> str:
    fam = family(spec)
    if fam in _JS_FAMILY:
        return "\"'`"
    if fam == "go":
        return "\"`'"
    return "\"'"


def skip_string_back(text: str, close: int, floor: int) -> int:
    """Index of the quote opening the string literal whose closing quote is at ``close``."""
    quote = text[close]
    i = close - 1
    while i >= floor:
        if text[i] == quote:
            backslashes = 0
            j = i - 1
            while j >= floor and text[j] == "\\":
                backslashes += 1
                j -= 1
            if backslashes % 2 == 0:
                return i
        elif text[i] == "\n" and quote != "`":
            return -1
        i -= 1
    return -1


def match_open(text: str, close: int, floor: int, spec: LanguageSpec | None) -> int:
    """Index of the bracket that ``text[close]`` closes, or -1 (unbalanced, or past ``floor``)."""
    quotes = _quote_chars(spec)
    want = [_OPEN[text[close]]]
    i = close - 1
    while i >= floor:
        ch = text[i]
        if ch in _OPEN:
            want.append(_OPEN[ch])
        elif ch in _CLOSE:
            if ch != want[-1]:
                return -1
            want.pop()
            if not want:
                return i
        elif ch in quotes and not (ch == "'" and family(spec) == "rust"):
            start = skip_string_back(text, i, floor)
            if start >= 0:
                i = start
        i -= 1
    return -1


def match_angle(text: str, close: int, floor: int) -> int:
    depth = 0
    i = close
    while i >= floor:
        ch = text[i]
        if ch == ">":
            depth += 1
        elif ch == "<":
            depth -= 1
            if depth == 0:
                return i
        elif ch in ";{}()=\n":
            return -1
        i -= 1
    return -1


def member_operator_before(
    text: str, end: int, spec: LanguageSpec | None
) -> tuple[str, int] | None:
    """The member operator ending exactly at ``end`` and its start, if any."""
    if spec is None:
        ops: tuple[str, ...] = (".",)
    else:
        ops = spec.member_operators
    if family(spec) in _JS_FAMILY:
        ops = ("?.", *ops)
    for op in sorted(ops, key=len, reverse=True):
        start = end - len(op)
        if start >= 0 and text.startswith(op, start):
            if op == "." and start > 0 and text[start - 1] == ".":
                return None  # `..` range, `...` spread/ellipsis
            if op == "::" and start > 0 and text[start - 1] == ":":
                return None
            return op, start
    return None


def _skip_space_back(text: str, i: int, floor: int) -> int:
    while i > floor and text[i - 1] in " \t\r\n":
        i -= 1
    return i


def expression_start(text: str, end: int, spec: LanguageSpec | None) -> int:
    """Start of the postfix expression (names, calls, indexing, members, literals) ending at
    ``end``; ``end`` itself when there is none."""
    floor = max(0, end - LOOKBACK)
    fam = family(spec)
    i = after_op = end
    while True:
        j = i
        # Postfixes: call/index brackets, Rust `?`, TypeScript `!`, generic arguments before `::`.
        while j > floor:
            ch = text[j - 1]
            if ch in ")]":
                k = match_open(text, j - 1, floor, spec)
                if k < 0:
                    return after_op
                j = k
            elif (ch == "?" and fam == "rust") or (ch == "!" and fam in ("typescript", "tsx")):
                j -= 1
            elif ch == ">" and fam in ("rust", "cpp") and text.startswith("::", j):
                k = match_angle(text, j - 1, floor)
                if k < 0:
                    return after_op
                j = k
            else:
                break
        k = ident_start(text, j, spec)
        if k == j and j > floor and text[j - 1] in _quote_chars(spec):
            s = skip_string_back(text, j - 1, floor)
            if s < 0:
                return after_op
            k = s
            while k > floor and text[k - 1].isalpha() and s - k < 3:  # f"", b'', r#"" prefixes
                k -= 1
        if k == j and j == i:
            return after_op
        i = after_op = k
        sep = _skip_space_back(text, i, floor)
        if sep < i and "\n" in text[sep:i] and not _member_at_line_end(text, sep, spec):
            return i
        found = member_operator_before(text, sep, spec)
        if found is None:
            return i
        i = _skip_space_back(text, found[1], floor)


def _member_at_line_end(text: str, end: int, spec: LanguageSpec | None) -> bool:
    """May an operator ending a line (``a.\n  b``, Go style) continue onto the next one?

    Not in Python (a syntax error outside brackets, and mostly prose: ``# … done.``), and not
    when the operator sits in a comment or string of its line."""
    if family(spec) == "python":
        return False
    line_start = text.rfind("\n", 0, end) + 1
    return line_state(text[line_start:end], spec) is None


def receiver_before(text: str, end: int, spec: LanguageSpec | None) -> tuple[str, str, int] | None:
    """``(receiver, operator, receiver start)`` when the text ending at ``end`` is
    ``<expr><member operator>``.

    Numbers (``1.``), relative imports (``from .``) and a bare ``::`` are not member access.
    """
    found = member_operator_before(text, end, spec)
    if found is None:
        return None
    op, op_start = found
    expr_end = _skip_space_back(text, op_start, max(0, op_start - LOOKBACK))
    start = expression_start(text, expr_end, spec)
    receiver = text[start:expr_end]
    if not receiver or receiver[0].isdigit():
        return None
    if family(spec) == "python" and receiver in ("from", "import"):
        return None
    if "\n" in receiver:  # a method chain split over lines: `a\n  .b()\n  .`
        receiver = re.sub(r"\s*\n\s*", "", receiver)
    return receiver.strip(), op, start


def line_state(line_prefix: str, spec: LanguageSpec | None) -> str | None:
    """``"string"`` / ``"comment"`` / ``None`` at the end of ``line_prefix``, scanning only this
    line (the fallback when there is no tree, or the tree is broken on this line)."""
    if len(line_prefix) > MAX_LINE_SCAN:
        return None  # minified or generated code: not worth a slow character loop
    fam = family(spec)
    quotes = _quote_chars(spec)
    line_comment = "#" if fam == "python" else "//"
    i, n = 0, len(line_prefix)
    while i < n:
        ch = line_prefix[i]
        if line_prefix.startswith(line_comment, i):
            return "comment"
        if fam not in ("python", "") and line_prefix.startswith("/*", i):
            close = line_prefix.find("*/", i + 2)
            if close < 0:
                return "comment"
            i = close + 2
            continue
        if ch in quotes:
            if ch == "'" and fam == "rust" and not _rust_char_literal(line_prefix, i):
                i += 1
                continue
            triple = ch * 3 if fam == "python" and line_prefix.startswith(ch * 3, i) else ch
            opener = _interpolation_opener(line_prefix, i, fam)
            j = i + len(triple)
            while j < n:
                if line_prefix[j] == "\\":
                    j += 2
                    continue
                if opener and line_prefix.startswith(opener, j):
                    if opener == "{" and line_prefix.startswith("{{", j):
                        j += 2
                        continue
                    close = line_prefix.find("}", j)
                    if close < 0:
                        return None  # the cursor is in an f-string / template interpolation
                    j = close + 1
                    continue
                if line_prefix.startswith(triple, j):
                    break
                j += 1
            if j >= n:
                return "string"
            i = j + len(triple)
            continue
        i += 1
    return None


def _interpolation_opener(line: str, quote: int, fam: str) -> str:
    if fam in _JS_FAMILY and line[quote] == "`":
        return "${"
    if fam == "python" and "f" in line[max(0, quote - 2) : quote].lower():
        return "{"
    return ""


def _rust_char_literal(line: str, i: int) -> bool:
    """A quote starting ``'x'`` / ``'\\n'`` (char literal) rather than a lifetime ``'a``."""
    if line.startswith("\\", i + 1):
        return True
    return len(line) <= i + 2 or line[i + 2] == "'"


_CALL_TOKENS = re.compile(r"[()\[\]{},;\"'`\n]")
_PY_CALL_TOKENS = re.compile(r"[()\[\]{},;\"'\n]|:(?=[ \t]*\r?\n)")


def _escaped(text: str, pos: int, floor: int) -> bool:
    backslashes = 0
    while pos - backslashes - 1 >= floor and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


_FLOOR = "floor"


def enclosing_call(text: str, end: int, spec: LanguageSpec | None) -> tuple[int, int, int] | None:
    """The innermost unclosed ``(`` before ``end``: ``(paren index, argument index, start of the
    current argument)``; ``None`` when the cursor is not inside parentheses.

    Most answers are decided within a few lines, so a short window is tried before the long one.
    """
    for window in (400, LOOKBACK):
        found = _enclosing_call(text, end, max(0, end - window), spec)
        if isinstance(found, tuple):
            return found
        if found is None or window >= end:
            return None
    return None


def _enclosing_call(
    text: str, end: int, floor: int, spec: LanguageSpec | None
) -> tuple[int, int, int] | str | None:
    # Only brackets, quotes, commas and newlines matter: a regex collects those and the loop
    # visits them alone, a few dozen tokens instead of hundreds of characters.
    quotes = _quote_chars(spec)
    fam = family(spec)
    if fam == "rust":
        quotes = quotes.replace("'", "")
    pattern = _PY_CALL_TOKENS if fam == "python" else _CALL_TOKENS
    tokens = [(m.start(), m.group()) for m in pattern.finditer(text, floor, end)]
    stack: list[str] = []
    commas = 0
    arg_start = end
    k = len(tokens) - 1
    while k >= 0:
        pos, ch = tokens[k]
        if ch in ")]}":
            stack.append(_OPEN[ch])
        elif ch in "([{":
            if stack:
                if stack.pop() != ch:
                    return None
            elif ch == "(":
                return pos, commas, arg_start if commas else pos + 1
            else:
                return None
        elif ch == "," and not stack:
            if commas == 0:
                arg_start = pos + 1
            commas += 1
        elif ch in ";:" and not stack:
            return None  # a statement ends (`;`) or a Python block opens (`:` at line end)
        elif ch in quotes and not _escaped(text, pos, floor):
            j = k - 1
            while j >= 0:
                other_pos, other = tokens[j]
                if other == ch and not _escaped(text, other_pos, floor):
                    break
                if other == "\n" and ch != "`":
                    j = -1
                    break
                j -= 1
            if j >= 0:
                k = j  # skip the whole literal
        k -= 1
    return _FLOOR
