"""LINE, BLOCK or no ghost text, chosen from the syntax at the cursor.

A suggestion the user cannot accept is worse than none: it costs a generation and hides the
code behind it. So the rules below say *no* wherever a completion makes little sense, and pick
the length the user most likely wants elsewhere:

- **none** inside a word (an identifier continues right after the cursor: inserting there would
  split it), inside a comment (prose; the model's guesses there are noise and they would fire on
  every keystroke of a comment), inside a string literal (paths, messages and keys the model
  cannot know), and when real code follows the cursor on the same line (a line-middle insertion
  the post-processing cannot check against the rest of the line). Closing brackets, quotes,
  ``;`` and ``,`` after the cursor do not count as code: editors auto-insert them.
- **BLOCK** on an empty line right after a block opener (``def f():``, ``if x {``, ``=> {``,
  ``(`` at the end of a line): the body is what the user is about to write.
- **none** at the end of a line that opens a block (``def f():|``, ``if (x) {|``): every
  suggestion would start with a newline; the BLOCK request comes after Enter.
- **LINE** everywhere else: mid-statement, at the end of a non-empty line, or on an empty line
  among statements (one statement at a time keeps ghost text short and right).

``inline.mode = "line" | "block"`` forces the length but never overrides the *none* rules.
"""

from __future__ import annotations

from enum import Enum

from glm_lsp.syntax.context import CursorContext


class Mode(str, Enum):
    """The CodeGeeX4 ``###MODE`` values; also how much text we keep."""

    LINE = "LINE"
    BLOCK = "BLOCK"


_CLOSERS = frozenset(")]}>\"'`;,: \t\r")
"""Characters after the cursor that do not stop ghost text (editors auto-insert them)."""

_OPENER_ENDINGS = ("{", "(", "[")
_KEYWORD_OPENERS = ("do", "then", "else", "begin")
_LINE_COMMENT = {"python": "#", "ruby": "#", "bash": "#"}


def _identifier_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ch == "$"


def _strip_line_comment(line: str, language: str) -> str:
    """The line without a trailing line comment (roughly: ignores comment markers in strings)."""
    marker = _LINE_COMMENT.get(language, "//")
    pos = line.find(marker)
    return line[:pos] if pos >= 0 else line


def _depth(code: str) -> int:
    """Open brackets left on a line (rough: brackets inside strings count too); a ``:`` at
    depth > 0 is a dict entry or a slice, not a block."""
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


def _previous_line(text: str, line_start: int) -> str:
    """The nearest non-blank line above ``line_start`` (empty when there is none)."""
    end = line_start - 1
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if line.strip():
            return line
        end = start - 1
    return ""


def is_block_opener(line: str, language: str) -> bool:
    """Does ``line`` open a block whose body comes on the following lines?"""
    code = _strip_line_comment(line, language).rstrip()
    if not code:
        return False
    if language == "python":
        return code.endswith(":") and _depth(code) == 0
    if code.endswith(_OPENER_ENDINGS) or code.endswith("=>"):
        return True
    last_word = code.rsplit(None, 1)[-1]
    return last_word in _KEYWORD_OPENERS


def _opens_body(line: str, language: str) -> bool:
    """A line ending in a body opener (``:`` in Python, ``{`` or ``do``/``then`` elsewhere);
    ``(`` and ``[`` are not: arguments and items continue on the same line."""
    code = _strip_line_comment(line, language).rstrip()
    if language == "python":
        return code.endswith(":") and _depth(code) == 0
    return code.endswith("{") or code.rsplit(None, 1)[-1:] in (["do"], ["then"], ["begin"])


def choose_mode(ctx: CursorContext, setting: str = "auto") -> Mode | None:
    """The ghost-text length for the cursor in ``ctx`` (``None``: do not ask the model)."""
    text, offset = ctx.text, ctx.offset
    if offset < len(text) and _identifier_char(text[offset]) and ctx.word_end > offset:
        return None
    if ctx.in_comment or ctx.in_string:
        return None
    if any(ch not in _CLOSERS for ch in ctx.line_suffix):
        return None
    if setting == "line":
        return Mode.LINE
    if setting == "block":
        return Mode.BLOCK
    language = ctx.language.name if ctx.language is not None else ""
    if ctx.line_prefix.strip():
        if not ctx.line_suffix.strip() and _opens_body(ctx.line_prefix, language):
            return None  # `def f():|`: the body starts after Enter, asked for then
        return Mode.LINE
    line_start = offset - len(ctx.line_prefix)
    if is_block_opener(_previous_line(text, line_start), language):
        return Mode.BLOCK
    return Mode.LINE
