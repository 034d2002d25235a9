"""A hand-built Python CursorContext for ranking and signal tests (no parse needed)."""

from __future__ import annotations

from glm_lsp.syntax.context import CursorContext, Scope
from glm_lsp.syntax.expected import ExpectedType
from glm_lsp.syntax.languages import spec_for


def make_ctx(
    marked: str,
    receiver: str | None = None,
    expected: str | None = None,
    function: bool = False,
) -> CursorContext:
    """Context for text with a ``|`` cursor; the prefix is the identifier before it.

    ``function`` wraps the cursor in one function scope spanning the whole text.
    """
    offset = marked.index("|")
    text = marked.replace("|", "", 1)
    start = offset
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    return CursorContext(
        language=spec_for("python"),
        text=text,
        offset=offset,
        prefix=text[start:offset],
        word_end=offset,
        line_prefix=text[line_start:offset],
        line_suffix=text[offset : line_end if line_end >= 0 else len(text)],
        receiver=receiver,
        member_operator="." if receiver else None,
        scopes=(Scope("function", "f", 0, len(text)),) if function else (),
        expected=ExpectedType(expected, "annotation") if expected else None,
    )
