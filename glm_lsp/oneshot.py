"""One completion without a client: index a workspace, open one file, complete at a position.

This is the engine of ``glm-lsp complete`` and uses exactly the objects the server uses, so what
``--explain`` prints is what an editor would get. Positions are LSP positions (0-based line,
UTF-16 column), converted with pygls like the server does.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument

from glm_lsp.analysis.index import IndexOptions, WorkspaceIndex
from glm_lsp.cache import Stores, default_cache_dir
from glm_lsp.completion.engine import CompletionEngine, CompletionResult
from glm_lsp.completion.history import AcceptHistory
from glm_lsp.config import Settings
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.service import GhostService
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.parse import DocumentTrees

log = logging.getLogger(__name__)


def complete_file(
    file: Path,
    line: int,
    character: int,
    *,
    workspace: Path | None = None,
    settings: Settings | None = None,
    max_items: int = 100,
    persistent: bool = True,
) -> CompletionResult:
    """Completion at (``line``, ``character``) of ``file``; raises ``OSError`` if unreadable."""
    settings = settings or Settings()
    file = file.resolve()
    data = file.read_bytes()
    text = data.decode("utf-8", errors="replace")
    root = (workspace or file.parent).resolve()
    cache_dir = Path(settings.cache.dir) if settings.cache.dir else default_cache_dir()
    stores = Stores(cache_dir if persistent else None)
    try:
        index = WorkspaceIndex(
            stores,
            IndexOptions(
                exclude=list(settings.index.exclude),
                max_file_size=settings.index.max_file_size,
                python=settings.python.interpreter,
            ),
        )
        uri = from_fs_path(str(file)) or file.as_uri()
        trees = DocumentTrees()
        parsed = trees.update(uri, text, 0, None, str(file))
        try:
            if root.is_dir():
                index.build(root)
            index.update_file(str(file), text, parsed.language_id, parsed.tree)
        except Exception:  # a broken index costs workspace names, not the completion
            log.exception("indexing failed; completing from the file alone")
        doc = TextDocument(uri, text)
        offset = doc.offset_at_position(lsp.Position(line=line, character=character))
        engine = CompletionEngine(index, AcceptHistory(stores.history), background=False)
        try:
            return engine.complete(parsed, offset, max_items)
        finally:
            engine.close()
    finally:
        stores.close()


def ghost_at(
    file: Path, line: int, character: int, settings: Settings | None = None
) -> GhostOutcome:
    """The ghost-text path at a position (``glm-lsp complete --ghost``): loads the configured
    model (the embedded one by default), asks it once, and returns what happened on the way —
    raw output, post-processing, confidence, the gate's decision, a repair."""
    settings = settings or Settings()
    file = file.resolve()
    text = file.read_bytes().decode("utf-8", errors="replace")
    uri = from_fs_path(str(file)) or file.as_uri()
    parsed = DocumentTrees().update(uri, text, 0, None, str(file))
    offset = TextDocument(uri, text).offset_at_position(
        lsp.Position(line=line, character=character)
    )
    ctx = build_context(parsed.spec, text, offset, parsed.tree)
    out = GhostOutcome()

    async def ask() -> None:
        service = GhostService(settings)
        service.start()
        try:
            if await service.wait_loaded(600):
                await service.inline(parsed, offset, ctx, outcome=out)
            else:
                out.none(f"model {service.state}: {service.error or ''}")
        finally:
            service.close()

    asyncio.run(ask())
    return out


def format_ghost(out: GhostOutcome) -> str:
    """``GhostOutcome`` for people: each stage on its line, the gate's arithmetic spelled out."""
    lines = [f"ghost text: model {out.model or '-'}, mode {out.mode or '-'}"]
    if out.raw is not None:
        lines.append(
            f"  raw:        {out.raw!r} ({out.generated_tokens} tokens, {out.finish_reason})"
        )
    for step in out.steps:
        lines.append(f"  {step.rule + ':':11} {step.before!r} -> {step.after!r}")
    if out.repair is not None:
        r: dict[str, Any] = out.repair
        how = f"forced {r['forced']!r}" if r.get("forced") else f"banned first token {r['ban']}"
        lines.append(f"  repair:     after {r['why']}, {how}: {r.get('text')!r}")
    c = out.confidence
    if c is not None:
        if c["score"] is None:
            lines.append(f"  confidence: unknown ({c.get('note', '')})")
        else:
            factors = ", ".join(f"{k} x{v:g}" for k, v in c["factors"].items()) or "none"
            lines.append(
                f"  confidence: {c['score']:.4g} = exp(sum of {c['tokens']} token logprobs "
                f"{c['logprob']:.3f}) x factors ({factors}); mean {c['mean_logprob']:.3f}, "
                f"min {c['min_logprob']:.3f}"
            )
        threshold = c["threshold"]
        gate = "off" if threshold is None else f"{threshold:g}"
        lines.append(f"  gate:       {gate} ({c['threshold_source']})")
    if out.text is not None:
        lines.append(f"  shown:      {out.text!r}")
    else:
        lines.append(f"  not shown:  {out.why_none}")
    return "\n".join(lines)


def ghost_json(file: Path, line: int, character: int) -> dict[str, Any]:
    """``ghost_at`` as plain data (``glm-lsp complete --ghost --json``)."""
    out = ghost_at(file, line, character)
    fields = ("model", "mode", "raw", "finish_reason", "text", "why_none", "gated")
    data: dict[str, Any] = {name: getattr(out, name) for name in fields}
    data.update(confidence=out.confidence, repair=out.repair)
    data["steps"] = [[s.rule, s.before, s.after] for s in out.steps]
    if out.repair is not None:
        steps = out.repair.get("steps", [])
        data["repair"] = {**out.repair, "steps": [[s.rule, s.before, s.after] for s in steps]}
    return data
