"""``glm-lsp.stats`` and ``glm-lsp.explain``: what the server knows, on request.

``glm-lsp.explain [uri, {line, character}]`` returns the ranking of the dropdown at a position
with every feature's score (what ``glm-lsp complete --explain`` prints).

``glm-lsp.pull [name]`` downloads a catalog model (default: ``model.name``) like
``glm-lsp models pull``, off the event loop, with ``window/workDoneProgress``; errors come back
as ``{"ok": false, "error": one line}`` and a ``window/showMessage``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types as lsp

from glm_lsp import memory
from glm_lsp.completion.explain import result_to_json
from glm_lsp.documents import cursor_line
from glm_lsp.ghost.outcome import ghost_summary
from glm_lsp.model.catalog import find_entry, load_catalog, models_dir
from glm_lsp.model.pull import PullError, PullProgress, pull
from glm_lsp.progress import Progress
from glm_lsp.server import GlmServer

STATS_COMMAND = "glm-lsp.stats"
EXPLAIN_COMMAND = "glm-lsp.explain"
PULL_COMMAND = "glm-lsp.pull"

_pulling: set[str] = set()
"""Catalog names being pulled (a second pull of the same file would write the same staging
file)."""


def register(ls: GlmServer) -> None:
    @ls.command(STATS_COMMAND)
    def stats(server: GlmServer, *args: object) -> dict[str, Any]:
        out = ls.stats.snapshot()
        out["memory"] = memory.usage()
        return out

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
        out = result_to_json(ls.engine.complete(parsed, offset, ls.settings.completion.max_items))
        outcome = ls.ghost.last_outcomes.get(uri) if ls.ghost is not None else None
        if outcome is not None:
            out["ghost"] = ghost_summary(outcome)
        return out

    @ls.command(PULL_COMMAND)
    async def pull_model(server: GlmServer, *args: object) -> dict[str, Any]:
        return await run_pull(ls, args[0] if args else None)


async def run_pull(ls: GlmServer, name: object) -> dict[str, Any]:
    """``glm-lsp.pull``: the ``models pull`` engine in a worker thread, reported as progress."""
    wanted = name if isinstance(name, str) and name else ls.settings.model.name
    if not wanted:
        raise ValueError("glm-lsp.pull expects [name]: a catalog model name (glm-lsp models list)")
    try:
        entries = load_catalog()
    except (OSError, ValueError) as exc:  # TOMLDecodeError and CatalogError are ValueErrors
        return _pull_failed(ls, f"cannot read the model catalog: {exc}")
    entry = find_entry(wanted, entries)
    if entry is None:
        known = ", ".join(e.name for e in entries)
        return _pull_failed(ls, f"unknown model {wanted!r}; known: {known}")
    if entry.name in _pulling:
        return _pull_failed(ls, f"{entry.name} is already being pulled")
    _pulling.add(entry.name)
    progress = Progress.begin(ls, f"glm-lsp: pull {entry.name}")

    def report(p: PullProgress) -> None:
        size = f"{p.done / 1e6:.1f}/{p.total / 1e6:.1f} MB" if p.total else f"{p.done / 1e6:.1f} MB"
        what = "downloading" if p.stage == "download" else "checking sha256"
        progress.message(f"{what} {size}", p.percent)

    try:
        result = await asyncio.to_thread(pull, entry, models_dir(), progress=report)
    except PullError as exc:
        progress.end(exc.message)
        return _pull_failed(ls, exc.message)
    finally:
        _pulling.discard(entry.name)
    state = "downloaded" if result.downloaded else "already present"
    check = "sha256 matches" if result.verified else "sha256 not pinned"
    progress.end(f"{entry.name} {state} ({check})")
    return {
        "ok": True,
        "name": entry.name,
        "path": str(result.path),
        "sha256": result.sha256,
        "verified": result.verified,
        "downloaded": result.downloaded,
    }


def _pull_failed(ls: GlmServer, message: str) -> dict[str, Any]:
    ls.show(lsp.MessageType.Error, f"glm-lsp: {message}")
    return {"ok": False, "error": message}
