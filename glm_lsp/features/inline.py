"""``textDocument/inlineCompletion`` (ghost text), and the ghost service's life in a session:
start, restart on a model change, progress and the messages a user must see.

The service loads its model in the background; until it is ready, inline completion answers an
empty list and the dropdown never waits for it. A model failure costs ghost text, never the
dropdown. Closing a service (restart, shutdown) joins its owner thread, so it happens off the
event loop; callbacks from a service that has been replaced are ignored (each start bumps
``ghost_generation``), so a late "model loaded" from an old load cannot end the new progress.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from lsprotocol import types as lsp

from glm_lsp.documents import client_position, cursor_line
from glm_lsp.features.trace import InlineTrace, inline_trace
from glm_lsp.ghost.service import GhostService
from glm_lsp.model.backend import CancelToken
from glm_lsp.model.worker import Cancelled
from glm_lsp.progress import Progress
from glm_lsp.server import GlmServer
from glm_lsp.syntax.context import build_context

log = logging.getLogger(__name__)

NO_MODEL_MESSAGE = (
    "glm-lsp: no model configured and no embedded default model; completion comes from static "
    "analysis. For model suggestions run `glm-lsp models pull codegeex4-all-9b` and set "
    "glmLsp.model.name to codegeex4-all-9b, or set glmLsp.model.path to a GGUF file."
)
"""Shown once per session (info, not an error) when nothing is configured and the catalog has
no embedded default (with one, the default settings load it)."""


def register(ls: GlmServer) -> None:
    @ls.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
    async def inline_completion(params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        started = time.perf_counter()
        trace = inline_trace(ls, params)
        try:
            return await _inline(ls, params, trace)
        except asyncio.CancelledError:
            if trace is not None:
                trace.submit("cancelled")
            raise
        finally:
            if trace is not None:
                trace.submit()
            ls.stats.observe("inline", (time.perf_counter() - started) * 1000.0)


async def _inline(
    ls: GlmServer, params: lsp.InlineCompletionParams, trace: InlineTrace | None = None
) -> lsp.InlineCompletionList:
    empty = lsp.InlineCompletionList(items=[])
    service = ls.ghost
    if service is None or not ls.settings.inline.enabled:
        if trace is not None:
            trace.none("ghost text is off" if service is not None else f"model {ls.ghost_state}")
        return empty
    uri = params.text_document.uri
    parsed = ls.trees.get(uri)
    if parsed is None:
        if trace is not None:
            trace.none("document not open")
        return empty
    doc = ls.workspace.get_text_document(uri)
    offset, line = cursor_line(doc, params.position, ls.line_index(uri))
    ctx = build_context(parsed.spec, parsed.text, offset, parsed.tree)
    if trace is not None:
        trace.context(ctx)
    outcome = trace.outcome() if trace is not None else None
    cancel = CancelToken()
    try:
        trigger = params.context.trigger_kind
        automatic = trigger == lsp.InlineCompletionTriggerKind.Automatic
        suggestions = await service.inline(
            parsed,
            offset,
            ctx,
            cancel,
            trigger="automatic" if automatic else "invoked",
            outcome=outcome,
        )
    except asyncio.CancelledError:
        cancel.cancel()  # the client cancelled: pygls answers the request itself
        ls.stats.count("inline.cancelled")
        raise
    except Cancelled:  # superseded by a newer request
        ls.stats.count("inline.cancelled")
        if trace is not None:
            trace.none("superseded by a newer request")
            trace.submit("superseded")
        return empty
    except Exception as exc:
        log.exception("inline completion failed")
        if trace is not None:
            trace.none(f"failed: {exc}")
            trace.submit("error")
        return empty
    items = [
        lsp.InlineCompletionItem(
            insert_text=sugg.text,
            range=lsp.Range(
                start=client_position(doc, line, sugg.start_offset),
                end=client_position(doc, line, sugg.end_offset),
            ),
        )
        for sugg in suggestions
        if sugg.text
    ]
    if trace is not None:
        trace.items(items)
    return lsp.InlineCompletionList(items=items)


def start_ghost(ls: GlmServer) -> None:
    """Create the service for the current settings; it loads the model in the background."""
    ls.ghost_generation += 1
    generation = ls.ghost_generation
    if ls.settings.model.backend == "none":
        ls.ghost_state = "disabled"
        log.info("model disabled (model.backend = none)")
        return
    progress = Progress.begin(ls, "glm-lsp: model")

    def current() -> bool:
        return ls.ghost_generation == generation

    def on_progress(message: str, percentage: int | None) -> None:
        if not current():
            return
        log.info("model: %s", message)
        if message in ("model loaded", "model unavailable"):
            progress.end(message)
        else:
            progress.message(message, percentage, force=True)

    def on_error(message: str) -> None:
        if current():
            text = f"glm-lsp: {message}. Completion from static analysis keeps working."
            ls.show_once(lsp.MessageType.Warning, text)

    def progress_for(name: str) -> Callable[[str, int | None], None]:
        """Progress of a model the router loads on first use (called on the loop)."""
        begun: list[Progress] = []

        def report(message: str, percentage: int | None) -> None:
            if not current():
                return
            if not begun:
                begun.append(Progress.begin(ls, f"glm-lsp: model {name}"))
            log.info("model %s: %s", name, message)
            if message in ("model loaded", "model unavailable"):
                begun[0].end(message)
            else:
                begun[0].message(message, percentage, force=True)

        return report

    service = GhostService(
        ls.settings,
        index=ls.index,
        stores=ls.stores,
        progress=on_progress,
        on_error=on_error,
        progress_for=progress_for,
    )
    try:
        service.start()
    except Exception:
        log.exception("could not start the model service")
        progress.end("model unavailable")
        ls.ghost_state = "failed"
        return
    if service.state == "unconfigured":
        progress.end()
        ls.ghost_state = "unconfigured"
        log.info("no model configured and no embedded default; static completion only")
        ls.show_once(lsp.MessageType.Info, NO_MODEL_MESSAGE)
        return
    if service.state == "disabled":
        progress.end()
        ls.ghost_state = "disabled"
        return
    ls.ghost = service


def close_ghost(ls: GlmServer) -> None:
    """Stop the current service without blocking the loop (its owner thread is joined on a
    thread of its own; the model is freed there)."""
    ls.ghost_generation += 1
    service, ls.ghost = ls.ghost, None
    if service is None:
        return
    threading.Thread(
        target=_close_quietly, args=(service,), name="glm-lsp-model-close", daemon=True
    ).start()


def restart_ghost(ls: GlmServer) -> None:
    close_ghost(ls)
    start_ghost(ls)


def ghost_stats(ls: GlmServer) -> dict[str, Any]:
    """Sections for ``glm-lsp.stats`` (``model``, ``inline``, ``cache``)."""
    service = ls.ghost
    if service is None:
        return {"model": {"state": ls.ghost_state}}
    return dict(service.stats())


def _close_quietly(service: GhostService) -> None:
    try:
        service.close()
    except Exception:
        log.exception("closing the model service failed")
