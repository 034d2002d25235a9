"""Which names the cursor can see: scope ranges, scope distance, and the name being defined.

Pure questions about one symbol and the cursor context, asked by the name sources of
:mod:`glm_lsp.completion.candidates`.
"""

from __future__ import annotations

import re

from glm_lsp.analysis.symbols import Symbol
from glm_lsp.syntax.context import CursorContext
from glm_lsp.syntax.words import IDENTIFIER_PATTERN

_DEFINED_HERE = re.compile(
    rf"^\s*(?:(?:const|let|var|auto|final|mut)\s+)*({IDENTIFIER_PATTERN})\s*(?::[^=\n]*)?:?=(?!=)"
)


def name_being_defined(ctx: CursorContext) -> str | None:
    """The variable whose assignment the cursor is on the right of (``budget: int = |``).

    It has no value yet, so offering it is noise; an earlier binding of the same name is a
    separate symbol (defined on another line) and is still offered.
    """
    m = _DEFINED_HERE.match(ctx.line_prefix)
    return m.group(1) if m is not None and m.end() <= len(ctx.line_prefix) else None


def being_defined(sym: Symbol, ctx: CursorContext, defining: str | None) -> bool:
    line_start = ctx.offset - len(ctx.line_prefix)
    return sym.name == defining and line_start <= sym.start < ctx.offset


def visible(sym: Symbol, offset: int, scope_starts: set[int]) -> bool:
    """In its scope's range, or in a scope the syntax layer says encloses the cursor (a
    half-written statement can end the function's node before the cursor). A module-level
    name is visible anywhere in its file: its scope ends where the text did when it was
    extracted, and a request answered from an earlier version's symbols while the user types at
    the end of the file has its cursor past that end (every module name vanished from the
    dropdown until the re-extraction landed)."""
    if not sym.local or (sym.scope_end <= 0 and sym.scope_start <= 0):
        return True
    return sym.scope_start <= offset <= sym.scope_end or sym.scope_start in scope_starts


def scope_distance(ctx: CursorContext, sym: Symbol) -> int:
    """How many enclosing function scopes lie between the cursor and a local's scope."""
    distance = 0
    for scope in ctx.scopes:
        if scope.kind in ("module", "block"):
            continue
        # The innermost cursor scope that the symbol's scope covers is where it lives.
        if sym.scope_start <= scope.start + 2 and scope.end <= sym.scope_end + 2:
            return distance
        distance += 1
    return distance
