"""The language server: LSP in, engine calls, LSP out — no completion logic of its own.

Threads: the asyncio loop runs every handler. Completion runs inline on the loop (it is measured
to take a few milliseconds; see ``tests/benchmarks/bench_latency.py``); the workspace index is
built and updated on one background thread, so index writes are serialized and never block a
keystroke; the model runs behind its own worker (``glm_lsp.model``). Anything a background thread
sends to the client goes through :meth:`GlmServer.call_soon`, because pygls' writers are not
thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from glm_lsp import __version__
from glm_lsp.analysis.index import IndexOptions, WorkspaceIndex
from glm_lsp.cache import Stores, default_cache_dir
from glm_lsp.completion.engine import CompletionEngine
from glm_lsp.completion.explain import result_to_json
from glm_lsp.completion.history import AcceptHistory
from glm_lsp.config import Settings, is_note, parse_settings
from glm_lsp.documents import LineIndex, LspTextDocument, cursor_line, install
from glm_lsp.items import ResolveCache, completion_list, snippet_support
from glm_lsp.logs import LspLogHandler
from glm_lsp.model_bridge import ModelBridge
from glm_lsp.progress import Progress
from glm_lsp.protocol import GlmProtocol, Wire, serve_stdio
from glm_lsp.stats import Stats
from glm_lsp.syntax.parse import DocumentTrees
from glm_lsp.workspace_files import read_source

log = logging.getLogger(__name__)

STATS_COMMAND = "glm-lsp.stats"
EXPLAIN_COMMAND = "glm-lsp.explain"
SECTION = "glmLsp"
INDEX_DELAY_S = 1.0
"""Pause in typing after which an edited document is re-indexed."""


class GlmServer(LanguageServer):
    """pygls server plus the engine objects one session owns."""

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
        self.trees = DocumentTrees()
        self.resolve_cache = ResolveCache()
        self.stores: Stores | None = None
        self.index: WorkspaceIndex | None = None
        self.engine: CompletionEngine | None = None
        self.model = ModelBridge(self)
        self.roots: list[Path] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pending_errors: list[str] = []
        self._index_worker = ThreadPoolExecutor(1, thread_name_prefix="glm-lsp-index")
        self._index_cancel = threading.Event()
        self._file_jobs: dict[str, Callable[[], None]] = {}
        self._file_lock = threading.Lock()
        self.index_ready = threading.Event()
        self.shutdown_requested = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self._index_timers: dict[str, asyncio.TimerHandle] = {}

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Out-of-band errors: unparseable input gets a JSON-RPC parse error, others a log line.

        pygls would show each as a ``window/showMessage`` popup; a user cannot act on a
        client's malformed message, and a broken feature is logged with its traceback already.
        """
        if isinstance(error, ValueError) and not isinstance(error, JsonRpcException):
            protocol: Any = self.protocol
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

    # --- settings -------------------------------------------------------------------------------

    def apply_settings(self, raw: Any, *, announce: bool) -> None:
        """Parse and apply settings; problems are shown once (now, or after ``initialized``)."""
        settings, messages = parse_settings(raw)
        errors = [m for m in messages if not is_note(m)]
        for note in messages:
            if is_note(note):
                log.info("settings: %s", note)
        if errors:
            log.warning("invalid settings: %s", "; ".join(errors))
            if announce:
                self.show_settings_errors(errors)
            else:
                self._pending_errors = errors
        old, self.settings = self.settings, settings
        if self.index is not None and (
            old.index != settings.index or old.python != settings.python
        ):
            self.start_index()
        if old.cache != settings.cache and self.stores is not None:
            log.info("cache.dir changes take effect when the server restarts")
        if announce and old.model != settings.model:
            self.model.restart()  # a different model (or backend): load it
        elif old != settings:
            self.model.update_settings(settings)  # inline/completion knobs: no reload

    def show_settings_errors(self, errors: list[str]) -> None:
        text = "glm-lsp: invalid settings, defaults used: " + "; ".join(errors)
        self.show(lsp.MessageType.Warning, text)

    # --- lifecycle ------------------------------------------------------------------------------

    def setup(self, params: lsp.InitializeParams) -> None:
        self.loop = asyncio.get_running_loop()
        install(self.workspace)  # LSP line splitting for every document (documents.py)
        self.apply_settings(params.initialization_options, announce=False)
        cache_dir = Path(self.settings.cache.dir).expanduser() if self.settings.cache.dir else None
        self.stores = Stores(cache_dir or default_cache_dir())
        self.roots = _roots(params)
        self.new_index()
        self.stats.add_source("index", self._index_stats, section="index")
        self.stats.add_source("model", self.model.stats)

    def new_index(self) -> None:
        options = IndexOptions(
            exclude=list(self.settings.index.exclude),
            max_file_size=self.settings.index.max_file_size,
            python=self.settings.python.interpreter,
        )
        self.index = WorkspaceIndex(self.stores, options)
        history = AcceptHistory(self.stores.history if self.stores else None)
        if self.engine is not None:
            self.engine.close()
        self.engine = CompletionEngine(self.index, history)

    def _index_stats(self) -> dict[str, Any]:
        return dict(self.index.stats()) if self.index is not None else {}

    def on_initialized(self) -> None:
        if self.log_handler is not None:
            self.log_handler.attach(self.send_log)
        if self._pending_errors:
            self.show_settings_errors(self._pending_errors)
            self._pending_errors = []
        for error in self.stores.errors() if self.stores else []:
            log.warning("%s", error)
        self.start_index(first=True)
        self.model.start()

    def change_roots(self, added: list[str], removed: list[str]) -> None:
        """Workspace folders changed: rebuild the index over the new set of roots."""
        gone = {Path(p) for p in (to_fs_path(uri) for uri in removed) if p}
        roots = [root for root in self.roots if root not in gone]
        for uri in added:
            path = to_fs_path(uri)
            if path and Path(path).is_dir() and Path(path) not in roots:
                roots.append(Path(path))
        if roots != self.roots:
            self.roots = roots
            self.start_index()

    def start_index(self, first: bool = False) -> None:
        """(Re)build the workspace index on the index thread, with progress when supported."""
        self._index_cancel.set()
        self._index_cancel = cancel = threading.Event()
        if not first:
            self.new_index()
        self.index_ready.clear()
        self.spawn(self._build_index(cancel))

    async def _build_index(self, cancel: threading.Event) -> None:
        progress = await Progress.start(self, "glm-lsp: indexing")
        index = self.index
        started = time.perf_counter()

        def build() -> None:
            if index is None:
                return
            for root in self.roots:
                if cancel.is_set():
                    return
                try:
                    index.build(root, progress.report, cancel)
                except Exception:
                    log.exception("indexing %s failed", root)

        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._index_worker, build)
        except RuntimeError:  # the server shut down before the build could start
            progress.end("cancelled")
            return
        info = self._index_stats()
        message = f"{info.get('files', 0)} files, {info.get('symbols', 0)} symbols"
        log.info("index: %s in %.2fs", message, time.perf_counter() - started)
        progress.end(message)
        if not cancel.is_set():
            self.index_ready.set()

    def on_shutdown(self) -> None:
        self.shutdown_requested = True
        self._index_cancel.set()
        self.model.close()
        if self.engine is not None:
            self.engine.close()
        self._index_worker.shutdown(wait=False, cancel_futures=True)
        if self.stores is not None:
            self.stores.close()
        if self.log_handler is not None:
            self.log_handler.detach()

    def on_exit(self) -> None:
        """Leave now. A background thread (an index build between cancel checks, a model
        generation) must not hold the process after ``exit``: the interpreter would join it,
        and the client would have to kill us. Everything persistent was closed at shutdown."""
        if not self.shutdown_requested:
            self.on_shutdown()
            self.shutdown_requested = False
        logging.shutdown()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(0 if self.shutdown_requested else 1)

    # --- documents ------------------------------------------------------------------------------

    def sync_document(
        self, uri: str, language_id: str | None = None, *, index_delay: float = 0.0
    ) -> None:
        """Bring the tree up to the client's text now, and the index after ``index_delay``.

        While the user types, the completion engine keeps the open document's own symbols
        current; the workspace index only needs the file once typing pauses, so re-extracting
        it on every keystroke (and competing with the event loop for the GIL) would be waste.
        """
        doc = self.workspace.get_text_document(uri)
        parsed = self.trees.update(
            uri, doc.source, doc.version or 0, language_id, to_fs_path(uri) or None
        )
        path = parsed.path
        if not path:
            return
        timer = self._index_timers.pop(path, None)
        if timer is not None:
            timer.cancel()
        if index_delay > 0 and self.loop is not None:
            self._index_timers[path] = self.loop.call_later(
                index_delay, self._index_open_document, uri, path
            )
        else:
            self._index_open_document(uri, path)

    def _index_open_document(self, uri: str, path: str) -> None:
        self._index_timers.pop(path, None)
        parsed = self.trees.get(uri)
        if parsed is None:
            return
        tree = parsed.tree.copy() if parsed.tree is not None else None
        text, lang = parsed.text, parsed.language_id

        def job(index: WorkspaceIndex) -> None:
            index.update_file(path, text, lang, tree)

        self.index_file_later(path, job)

    def index_file_later(self, path: str, job: Callable[[WorkspaceIndex], Any]) -> None:
        """Queue one index update per path on the index thread; the newest job for a path wins."""
        index = self.index
        if index is None:
            return

        def run() -> None:
            with self._file_lock:
                latest = self._file_jobs.pop(path, None)
            if latest is None:
                return
            latest()

        with self._file_lock:
            queued = path in self._file_jobs
            self._file_jobs[path] = lambda: _guarded(job, index, path)
        if not queued:
            with contextlib.suppress(RuntimeError):  # after shutdown
                self._index_worker.submit(run)

    def forget_file(self, path: str) -> None:
        def job(index: WorkspaceIndex) -> None:
            index.remove_file(path)

        self.index_file_later(path, job)

    def reindex_from_disk(self, path: str) -> None:
        max_size = self.settings.index.max_file_size

        def job(index: WorkspaceIndex) -> None:
            text = read_source(Path(path), max_size)
            if text is None:
                index.remove_file(path)
            else:
                index.update_file(path, text)

        self.index_file_later(path, job)

    def line_index(self, uri: str) -> LineIndex:
        """Line table of the document's current version (cached on the document)."""
        doc = self.workspace.get_text_document(uri)
        if isinstance(doc, LspTextDocument):
            return doc.line_index()
        return LineIndex.of(doc.source)

    def note_changes(self, params: lsp.DidChangeTextDocumentParams) -> None:
        if self.engine is None:
            return
        uri = params.text_document.uri
        doc = self.workspace.get_text_document(uri)
        index = self.line_index(uri)
        for change in params.content_changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                offset, _ = cursor_line(doc, change.range.start, index)
                self.engine.note_edit(uri, offset)
                self.model.note_edit(doc.path, doc.source, offset)

    # --- requests -------------------------------------------------------------------------------

    def timed_change(self, params: lsp.DidChangeTextDocumentParams) -> None:
        started = time.perf_counter()
        try:
            self.sync_document(params.text_document.uri, index_delay=INDEX_DELAY_S)
            self.note_changes(params)
        finally:
            self.stats.observe("did_change", (time.perf_counter() - started) * 1000.0)

    async def complete(self, params: lsp.CompletionParams) -> Wire:
        started = time.perf_counter()
        try:
            return await self._complete(params)
        finally:
            self.stats.observe("completion", (time.perf_counter() - started) * 1000.0)

    async def _complete(self, params: lsp.CompletionParams) -> Wire:
        uri = params.text_document.uri
        parsed = self.trees.get(uri)
        engine = self.engine
        if parsed is None or engine is None:
            log.info("completion for a document that is not open: %s", uri)
            return Wire({"isIncomplete": False, "items": []})
        doc = self.workspace.get_text_document(uri)
        offset, line = cursor_line(doc, params.position, self.line_index(uri))
        max_items = self.settings.completion.max_items
        result = engine.complete(parsed, offset, max_items)
        if self.model.ready and not (result.context.in_string or result.context.in_comment):
            extra, pending = await self.model.candidates(parsed, result.context)
            if extra:
                result = engine.complete(parsed, offset, max_items, model_candidates=extra)
            elif pending:
                result.is_incomplete = True  # the editor asks again; the model may be there
        return Wire(
            completion_list(
                result,
                doc,
                line,
                self.resolve_cache,
                snippets=self.settings.completion.snippets
                and snippet_support(self.client_capabilities),
                language=parsed.spec.name if parsed.spec is not None else None,
            )
        )

    def explain(self, uri: str, position: lsp.Position) -> dict[str, Any] | None:
        parsed = self.trees.get(uri)
        if parsed is None or self.engine is None:
            return None
        offset, _ = cursor_line(self.workspace.get_text_document(uri), position)
        return result_to_json(
            self.engine.complete(parsed, offset, self.settings.completion.max_items)
        )


def _guarded(job: Callable[[WorkspaceIndex], Any], index: WorkspaceIndex, path: str) -> None:
    try:
        job(index)
    except Exception:
        log.exception("index update failed for %s", path)


def _roots(params: lsp.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    roots: list[Path] = []
    for uri in uris:
        path = to_fs_path(uri)
        if path and Path(path).is_dir():
            roots.append(Path(path))
    if not roots and params.root_path and Path(params.root_path).is_dir():
        roots.append(Path(params.root_path))
    return roots


def create_server(log_handler: LspLogHandler | None = None) -> GlmServer:
    """A server with every feature registered (a fresh one per process or test)."""
    from glm_lsp.features import register

    server = GlmServer(log_handler)
    register(server)
    return server
