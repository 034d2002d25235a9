"""What a model suggestion becomes: ghost text with its range, or a dropdown item."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.completion.candidates import Candidate, collect
from glm_lsp.syntax.context import CursorContext
from glm_lsp.syntax.parse import ParsedDocument

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InlineSuggestion:
    """Ghost text replacing ``document[start_offset:end_offset]`` (str offsets)."""

    text: str
    start_offset: int
    end_offset: int


def candidate_from_text(ctx: CursorContext, text: str) -> Candidate | None:
    """Read a suggestion as one dropdown item: the identifier being typed, completed, plus its
    call when the suggestion continues with a balanced ``(...)`` on the same line."""
    line = text.split("\n", 1)[0]
    i = 0
    while i < len(line) and (line[i].isalnum() or line[i] == "_"):
        i += 1
    name = ctx.prefix + line[:i]
    if not name or not (name[0].isalpha() or name[0] == "_"):
        return None
    insert = name
    call = False
    if line[i : i + 1] == "(":
        depth = 0
        for j in range(i, len(line)):
            depth += {"(": 1, ")": -1}.get(line[j], 0)
            if depth == 0:
                insert = name + line[i : j + 1]
                call = True
                break
    member = ctx.receiver is not None
    kind = ("method" if call else "field") if member else ("function" if call else "variable")
    return Candidate(
        name=name,
        kind=kind,
        source="model",
        detail="model suggestion",
        insert_text=insert,
        model_score=1.0,
    )


def known_members(
    index: WorkspaceIndex | None, doc: ParsedDocument, ctx: CursorContext
) -> tuple[str, ...] | None:
    """Member names at ``receiver.`` when the receiver's type is known (else no check)."""
    if ctx.receiver is None or index is None or not doc.path:
        return None
    try:
        fs = index.get(doc.path)
        if fs is None:
            return None
        found = collect(ctx, fs, index, doc.path, fresh=False)
        if found.receiver_type is None:
            return None
        names = tuple(c.name for c in found.candidates if c.source == "member")
        return names or None
    except Exception:
        log.debug("member lookup failed", exc_info=True)
        return None
