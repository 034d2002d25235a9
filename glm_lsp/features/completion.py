"""``textDocument/completion``, ``completionItem/resolve`` and the ``glm-lsp.accepted`` command.

One pass per request: the cursor context and static candidates are gathered once; when a model
is ready, its items are awaited for at most :data:`MODEL_ITEMS_BUDGET_S`, then everything is
ranked together once. A model slower than that leaves the static list to go out alone, marked
incomplete so the editor asks again as the user types; the generation finishes in the background
and warms the model's result cache for that next request.
"""

from __future__ import annotations

import asyncio
import logging
import time

from lsprotocol import types as lsp

from glm_lsp import foreground
from glm_lsp.completion.candidates import Candidate
from glm_lsp.completion.engine import CompletionEngine, Gathered
from glm_lsp.documents import cursor_line
from glm_lsp.features.trace import completion_trace
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.service import GhostService
from glm_lsp.items import (
    ACCEPT_COMMAND,
    completion_list,
    markdown_support,
    resolve,
    snippet_support,
)
from glm_lsp.model.backend import CancelToken
from glm_lsp.protocol import Wire
from glm_lsp.server import GlmServer
from glm_lsp.syntax.languages import all_trigger_characters
from glm_lsp.syntax.parse import ParsedDocument

log = logging.getLogger(__name__)

MODEL_ITEMS_BUDGET_S = 0.02
"""How long the dropdown waits for model items before going out without them."""
FIRST_SYMBOLS_WAIT_S = 0.3
"""How long the first request in a just-opened document may wait for its symbols (the loop
serves other requests meanwhile); a 3,500-line file takes ~30-60 ms, a 5 MB one seconds."""


def register(ls: GlmServer) -> None:
    pending: set[asyncio.Task[list[Candidate]]] = set()

    @ls.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(
            trigger_characters=all_trigger_characters(),
            resolve_provider=True,
            completion_item=lsp.ServerCompletionItemOptions(label_details_support=True),
        ),
    )
    async def completion(params: lsp.CompletionParams) -> Wire:
        started = time.perf_counter()
        try:
            if ls.engine is not None:  # not in foreground: it waits for background work
                await _first_symbols(ls, ls.engine, params.text_document.uri)
            with foreground.request():  # background extraction and parsing wait meanwhile
                return await _complete(ls, params, pending)
        finally:
            ls.stats.observe("completion", (time.perf_counter() - started) * 1000.0)

    @ls.feature(lsp.COMPLETION_ITEM_RESOLVE)
    def completion_resolve(params: lsp.CompletionItem) -> lsp.CompletionItem:
        ls.stats.count("resolve.requests")
        return resolve(params, ls.resolve_cache, markdown=markdown_support(ls.client_capabilities))

    # Command handlers take the server first: pygls injects it into any handler whose first
    # parameter is annotated with the server's class, and passes the arguments after it.
    @ls.command(ACCEPT_COMMAND)
    def accepted(server: GlmServer, *args: object) -> None:
        payload = args[0] if args else None
        if isinstance(payload, dict) and ls.tracer is not None and "trace" in payload:
            ls.tracer.accept(payload)  # linked to the request that offered the item
        if isinstance(payload, dict) and payload.get("channel") == "inline":
            ls.stats.count("accepted.inline")  # ghost text (only carries a command when traced)
        elif isinstance(payload, dict) and ls.engine is not None:
            ls.engine.accept(payload)
            ls.stats.count("accepted.count")
        else:
            log.warning("glm-lsp.accepted needs one object argument, got %r", args)


async def _complete(
    ls: GlmServer, params: lsp.CompletionParams, pending: set[asyncio.Task[list[Candidate]]]
) -> Wire:
    uri = params.text_document.uri
    parsed = ls.trees.get(uri)
    engine = ls.engine
    if parsed is None or engine is None:
        log.info("completion for a document that is not open: %s", uri)
        return Wire({"isIncomplete": False, "items": []})
    trace = completion_trace(ls, params)
    doc = ls.workspace.get_text_document(uri)
    offset, line = cursor_line(doc, params.position, ls.line_index(uri))
    gathered = engine.gather(parsed, offset)
    if trace is not None:
        trace.mark("gather")
    outcome = trace.outcome() if trace is not None else None
    model_items, waiting = await _model_items(ls, parsed, gathered, pending, outcome)
    if trace is not None:
        trace.mark("model_wait")
    result = engine.rank(gathered, ls.settings.completion.max_items, model_items)
    if trace is not None:
        trace.mark("rank")
    if waiting is not None:
        result.is_incomplete = True  # the editor asks again; the model may be there by then
    listing = completion_list(
        result,
        doc,
        line,
        ls.resolve_cache,
        snippets=ls.settings.completion.snippets and snippet_support(ls.client_capabilities),
        language=parsed.spec.name if parsed.spec is not None else None,
    )
    if trace is not None:
        trace.done(listing, result, gathered, model_items, waiting)
    return Wire(listing)


async def _first_symbols(ls: GlmServer, engine: CompletionEngine, uri: str) -> None:
    """A request right after ``didOpen`` of a file whose text the index does not hold (new,
    or changed since saved) waits, without holding the event loop, up to
    :data:`FIRST_SYMBOLS_WAIT_S` for its extraction; past that it is answered from what is
    ready (marked incomplete). A file opened unchanged is answered at once from the index's
    symbols of that very text (without a tree while a big file's first parse runs: the
    cursor context then comes from the text)."""
    deadline = time.monotonic() + FIRST_SYMBOLS_WAIT_S
    parsed = ls.trees.get(uri)  # no tree yet while a big file's first parse runs: fine
    if parsed is None:
        return
    engine.symbols_for(parsed)  # adopts the index's symbols, or starts the extraction
    while engine.first_pending(uri) and time.monotonic() < deadline:
        await asyncio.sleep(0.003)


async def _model_items(
    ls: GlmServer,
    parsed: ParsedDocument,
    gathered: Gathered,
    pending: set[asyncio.Task[list[Candidate]]],
    outcome: GhostOutcome | None = None,
) -> tuple[list[Candidate], asyncio.Task[list[Candidate]] | None]:
    """Model items if they arrive within the budget; ``(items, the task still running)``."""
    service = ls.ghost
    if (
        service is None
        or not service.ready
        or service.embedded  # it serves ghost text only (see GhostService.candidates)
        or gathered.found is None
        or ls.settings.completion.model_items <= 0
    ):
        return [], None
    task = asyncio.ensure_future(_candidates(service, parsed, gathered, outcome))
    done, _ = await asyncio.wait({task}, timeout=MODEL_ITEMS_BUDGET_S)
    if task not in done:
        pending.add(task)
        task.add_done_callback(pending.discard)
        return [], task
    return task.result(), None


async def _candidates(
    service: GhostService,
    parsed: ParsedDocument,
    gathered: Gathered,
    outcome: GhostOutcome | None = None,
) -> list[Candidate]:
    """The service's items; ``[]`` when it failed (logged, never raised into the request)."""
    ctx = gathered.context
    try:
        return await service.candidates(parsed, ctx.offset, ctx, CancelToken(), outcome=outcome)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.warning("model candidates failed: %s", exc)
        return []
