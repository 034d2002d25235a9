"""The trace in a session: start/stop it with the settings, collect each request's marks, and
the ``glm-lsp.trace`` command the editors' "Show Trace" runs.

Completion and inline handlers call :func:`completion_trace` / :func:`inline_trace` (``None``
when tracing is off, so the untraced path costs one attribute read). A trace object collects
``perf_counter`` marks and references to what the request computed anyway; at the end it hands
one event to the tracer's queue. Building the record, redaction and the disk all happen on the
tracer's thread (``glm_lsp/trace/writer.py``).

Items carry their request's id to ``glm-lsp.accepted`` (``"trace"`` in the command argument),
which links an accept to the request that offered it; ghost-text items get the same command
only while tracing, with ``channel: "inline"`` and the suggestion's length (a client that
reports a partial accept adds ``acceptedLength``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from glm_lsp.cache import default_cache_dir
from glm_lsp.completion.candidates import Candidate
from glm_lsp.completion.engine import CompletionResult, Gathered
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.secrets import redact
from glm_lsp.items import ACCEPT_COMMAND
from glm_lsp.server import GlmServer
from glm_lsp.syntax.context import CursorContext
from glm_lsp.trace.reader import parse_since
from glm_lsp.trace.records import CompletionEvent, InlineEvent, Redact, TextPolicy
from glm_lsp.trace.view import build_page
from glm_lsp.trace.writer import Tracer

TRACE_COMMAND = "glm-lsp.trace"
HINT = (
    "glm-lsp: tracing is off. Set glmLsp.trace.enabled to true (VS Code: Settings; Neovim: "
    "settings = { glmLsp = { trace = { enabled = true } } }), use completion for a while, then "
    "show the trace again. It stays on this machine, under the cache directory."
)

REDACT: Redact = redact
"""The secret redaction prompts go through (``ghost/secrets.py``): recorded text is redacted
exactly as the model would have seen it."""


def register(ls: GlmServer) -> None:
    @ls.command(TRACE_COMMAND)
    async def show_trace(server: GlmServer, *args: object) -> dict[str, Any]:
        """``[since?]`` → ``{enabled, path, uri, requests}`` or ``{enabled: false, hint}``."""
        tracer = ls.tracer
        if tracer is None:
            return {"enabled": False, "hint": HINT}
        since = parse_since(args[0]) if args and isinstance(args[0], str) else None

        def build() -> tuple[Path, int]:
            tracer.flush(2.0)
            return build_page(tracer.directory, since=since)

        path, count = await asyncio.to_thread(build)
        return {"enabled": True, "path": str(path), "uri": path.as_uri(), "requests": count}


def apply_trace(ls: GlmServer) -> None:
    """Start, retune or stop the tracer for the current settings (idempotent)."""
    settings = ls.settings.trace
    current = ls.tracer
    if not settings.enabled:
        if current is not None:
            close_trace(ls)
        return
    directory = _cache_root(ls) / "trace"
    policy = TextPolicy(include=settings.include_text, redact=REDACT)
    max_bytes = settings.maxMB * 2**20
    if current is not None and current.directory == directory:
        current.policy, current.max_bytes = policy, max_bytes
        return
    if current is not None:
        close_trace(ls)
    ls.tracer = Tracer(directory, max_bytes=max_bytes, policy=policy, roots=lambda: ls.roots)


def close_trace(ls: GlmServer, *, wait: bool = False) -> None:
    """Stop tracing; what is queued is written by the tracer's thread, joined off the loop —
    or, at shutdown (``wait``), for up to a second: ``exit`` ends the process right after."""
    tracer, ls.tracer = ls.tracer, None
    if tracer is None:
        return
    if wait:
        tracer.close(timeout=1.0)
    else:
        threading.Thread(target=tracer.close, name="glm-lsp-trace-close", daemon=True).start()


def _cache_root(ls: GlmServer) -> Path:
    """The session's cache directory (``cache.dir`` changes apply at restart, like the stores)."""
    if ls.stores is not None and ls.stores.root is not None:
        return ls.stores.root
    cache = ls.settings.cache.dir
    return Path(cache).expanduser() if cache else default_cache_dir()


def trigger_json(context: object) -> dict[str, Any]:
    """The request's trigger (``invoked``, ``trigger_character`` + it, ``automatic``...)."""
    kind = getattr(context, "trigger_kind", None)
    out: dict[str, Any] = {"kind": _snake(kind.name) if kind is not None else "unknown"}
    character = getattr(context, "trigger_character", None)
    if character:
        out["character"] = character
    return out


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class CompletionTrace:
    """Marks and references of one ``textDocument/completion`` request."""

    def __init__(self, tracer: Tracer, params: lsp.CompletionParams) -> None:
        self.tracer = tracer
        pos = params.position
        self.event = CompletionEvent(
            id=tracer.next_id(),
            ts=time.time(),
            uri=params.text_document.uri,
            line=pos.line,
            character=pos.character,
            trigger=trigger_json(params.context),
            marks=[("start", time.perf_counter())],
        )

    def mark(self, stage: str) -> None:
        self.event.marks.append((stage, time.perf_counter()))

    def outcome(self) -> GhostOutcome:
        """The outcome the model items' request fills in (recorded with this request)."""
        self.event.outcome = GhostOutcome(channel="candidates")
        return self.event.outcome

    def done(
        self,
        listing: dict[str, Any],
        result: CompletionResult,
        gathered: Gathered,
        model_items: Sequence[Candidate],
        late: asyncio.Future[Any] | None,
    ) -> None:
        """The list is built: link its items to this request and submit the event — now, or
        when a model answer still running finishes (it is recorded as ``late``)."""
        self.mark("items")
        event = self.event
        for item in listing["items"]:
            item["command"]["arguments"][0]["trace"] = event.id
        event.result = result
        event.static = gathered.found.candidates if gathered.found is not None else ()
        event.model_items = model_items
        event.returned = len(listing["items"])
        asked = event.outcome
        if asked is not None and not (asked.model or asked.why_none or asked.timings_ms):
            event.outcome = None  # no model was asked (none ready, or model items are off)
        if event.outcome is None:
            event.model_state = "off"
        elif late is None:
            event.model_state = "answered"
        else:
            event.model_state = "late"
            late.add_done_callback(lambda _: self.tracer.submit(event))
            return
        self.tracer.submit(event)


def completion_trace(ls: GlmServer, params: lsp.CompletionParams) -> CompletionTrace | None:
    tracer = ls.tracer
    return CompletionTrace(tracer, params) if tracer is not None else None


class InlineTrace:
    """Marks and references of one ``textDocument/inlineCompletion`` request."""

    def __init__(self, tracer: Tracer, params: lsp.InlineCompletionParams) -> None:
        self.tracer = tracer
        pos = params.position
        self.event = InlineEvent(
            id=tracer.next_id(),
            ts=time.time(),
            uri=params.text_document.uri,
            line=pos.line,
            character=pos.character,
            trigger=trigger_json(params.context),
            marks=[("start", time.perf_counter())],
        )
        self._submitted = False

    def context(self, ctx: CursorContext) -> None:
        self.event.context = ctx
        self.event.marks.append(("context", time.perf_counter()))

    def outcome(self) -> GhostOutcome:
        """A fresh outcome for the service (its first stage starts now)."""
        self.event.outcome = GhostOutcome()
        return self.event.outcome

    def none(self, why: str) -> None:
        self.event.outcome.none(why)

    def items(self, items: list[lsp.InlineCompletionItem]) -> None:
        """The service answered: attach the accept command, remember what is shown."""
        self.event.marks.append(("ghost", time.perf_counter()))
        for item in items:
            text = item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value
            payload = {"trace": self.event.id, "channel": "inline", "length": len(text)}
            item.command = lsp.Command(title="", command=ACCEPT_COMMAND, arguments=[payload])
        self.event.shown = [
            i.insert_text if isinstance(i.insert_text, str) else i.insert_text.value for i in items
        ]

    def submit(self, status: str | None = None) -> None:
        if self._submitted:
            return
        self._submitted = True
        if status is not None:
            self.event.status = status
        self.event.marks.append(("items", time.perf_counter()))
        self.tracer.submit(self.event)


def inline_trace(ls: GlmServer, params: lsp.InlineCompletionParams) -> InlineTrace | None:
    tracer = ls.tracer
    return InlineTrace(tracer, params) if tracer is not None else None
