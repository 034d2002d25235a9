"""``glm-lsp.stats`` and ``glm-lsp.explain``: what the server knows, on request.

``glm-lsp.explain [uri, {line, character}]`` returns the ranking of the dropdown at a position
with every feature's score (what ``glm-lsp complete --explain`` prints).
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp

from glm_lsp.completion.explain import result_to_json
from glm_lsp.documents import cursor_line
from glm_lsp.server import GlmServer

STATS_COMMAND = "glm-lsp.stats"
EXPLAIN_COMMAND = "glm-lsp.explain"


def register(ls: GlmServer) -> None:
    @ls.command(STATS_COMMAND)
    def stats(server: GlmServer, *args: object) -> dict[str, Any]:
        return ls.stats.snapshot()

    @ls.command(EXPLAIN_COMMAND)
    def explain(server: GlmServer, *args: object) -> dict[str, Any] | None:
        if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
            raise ValueError("glm-lsp.explain expects [uri, {line, character}]")
        pos = args[1]
        line, character = pos.get("line"), pos.get("character")
        if not isinstance(line, int) or not isinstance(character, int) or min(line, character) < 0:
            raise ValueError("glm-lsp.explain: position needs non-negative line and character")
        uri = args[0]
        parsed = ls.trees.get(uri)
        if parsed is None or ls.engine is None:
            return None
        doc = ls.workspace.get_text_document(uri)
        position = lsp.Position(line=line, character=character)
        offset, _ = cursor_line(doc, position, ls.line_index(uri))
        return result_to_json(ls.engine.complete(parsed, offset, ls.settings.completion.max_items))
