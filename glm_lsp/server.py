"""GlmServer: the objects one editor session owns, and the thread helpers to reach the client.

No handlers and no completion logic live here: ``features/`` registers one LSP concern per
module on this object. Threads: the asyncio loop runs every handler; the workspace index is
built and updated on one background thread (``indexing.py``); each model runs behind its own
owner thread (``model/worker.py``). Anything a background thread sends to the client goes
through :meth:`GlmServer.call_soon`, because pygls' writers are not thread-safe.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from glm_lsp import __version__
from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.cache import Stores
from glm_lsp.completion.engine import CompletionEngine
from glm_lsp.config import Settings
from glm_lsp.documents import LineIndex, LspTextDocument
from glm_lsp.ghost.service import GhostService
from glm_lsp.indexing import Indexer
from glm_lsp.items import ResolveCache
from glm_lsp.logs import LspLogHandler
from glm_lsp.protocol import GlmProtocol, serve_stdio
from glm_lsp.stats import Stats
from glm_lsp.syntax.parse import BACKGROUND_PARSE_BYTES, DocumentTrees
from glm_lsp.trace.writer import Tracer

log = logging.getLogger(__name__)


class GlmServer(LanguageServer):
    """pygls server plus the engine objects of one session (created at ``initialize``)."""

    def __init__(self, log_handler: LspLogHandler | None = None) -> None:
        super().__init__(
            "glm-lsp",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            protocol_cls=GlmProtocol,
            max_workers=4,
        )
        self.log_handler = log_handler
        self.settings = Settings()
        self.stats = Stats()
        self.trees = DocumentTrees(
            background_bytes=BACKGROUND_PARSE_BYTES, on_parsed=self._document_parsed
        )
        self.resolve_cache = ResolveCache()
        self.stores: Stores | None = None
        self.index: WorkspaceIndex | None = None
        self.engine: CompletionEngine | None = None
        self.indexer: Indexer | None = None
        self.ghost: GhostService | None = None
        self.ghost_state = "idle"
        """``model.state`` in the stats while there is no ghost service (disabled...)."""
        self.ghost_generation = 0
        """Bumped at each (re)start: callbacks of an older service are ignored."""
        self.tracer: Tracer | None = None
        """The local trace while ``trace.enabled`` (features/trace.py); ``None`` otherwise."""
        self.roots: list[Path] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending_errors: list[str] = []
        self.shutdown_requested = False
        self._shown: set[str] = set()
        self._tasks: set[asyncio.Future[Any]] = set()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Out-of-band errors: unparseable input gets a JSON-RPC parse error, others a log line.

        pygls would show each as a ``window/showMessage`` popup; a user cannot act on a
        client's malformed message, and a broken feature is logged with its traceback already.
        """
        if isinstance(error, ValueError) and not isinstance(error, JsonRpcException):
            protocol = self.protocol
            if isinstance(protocol, GlmProtocol):
                protocol.answer_parse_error(error)
                return
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio with an event-loop reader (see :func:`protocol.serve_stdio`)."""
        serve_stdio(self, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)

    # --- thread helpers -------------------------------------------------------------------------

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the event loop (directly when already on it)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def spawn(self, coro: Coroutine[Any, Any, Any] | Awaitable[Any]) -> None:
        """Run a coroutine on the loop, keeping a reference until it finishes (and logging,
        not losing, what it raised)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    def send_log(self, kind: lsp.MessageType, text: str) -> None:
        self.call_soon(self.window_log_message, lsp.LogMessageParams(type=kind, message=text))

    def show(self, kind: lsp.MessageType, text: str) -> None:
        self.call_soon(self.window_show_message, lsp.ShowMessageParams(type=kind, message=text))

    def show_once(self, kind: lsp.MessageType, text: str) -> None:
        """A restart after an unrelated settings change must not pop the same message again."""
        if text in self._shown:
            log.info("%s", text)
            return
        self._shown.add(text)
        self.show(kind, text)

    # --- documents ------------------------------------------------------------------------------

    def _document_parsed(self, uri: str) -> None:
        """A big document's first parse landed (on the parse thread): extract its symbols."""
        engine, doc = self.engine, self.trees.get(uri)
        if engine is not None and doc is not None:
            engine.prefetch(doc)

    def line_index(self, uri: str) -> LineIndex:
        """Line table of the document's current version (cached on the document)."""
        doc = self.workspace.get_text_document(uri)
        if isinstance(doc, LspTextDocument):
            return doc.line_index()
        return LineIndex.of(doc.source)
