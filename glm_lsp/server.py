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
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from glm_lsp import __version__
from glm_lsp.analysis.index import IndexOptions, WorkspaceIndex
from glm_lsp.cache import Stores, default_cache_dir
from glm_lsp.completion.engine import CompletionEngine
from glm_lsp.completion.explain import result_to_json
from glm_lsp.completion.history import AcceptHistory
from glm_lsp.config import Settings, is_note, parse_settings
from glm_lsp.items import ACCEPT_COMMAND, ResolveCache, completion_list, cursor_line, resolve
from glm_lsp.logs import LspLogHandler
from glm_lsp.model_bridge import ModelBridge
from glm_lsp.protocol import GlmProtocol
from glm_lsp.stats import Stats
from glm_lsp.syntax.languages import all_trigger_characters
from glm_lsp.syntax.parse import DocumentTrees
from glm_lsp.workspace_files import read_source

log = logging.getLogger(__name__)

STATS_COMMAND = "glm-lsp.stats"
EXPLAIN_COMMAND = "glm-lsp.explain"
SECTION = "glmLsp"
PROGRESS_INTERVAL_S = 0.2


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
        self._tasks: set[asyncio.Future[Any]] = set()

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
        """Run a coroutine on the loop, keeping a reference until it finishes."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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
        if announce and (old.model != settings.model or old.inline != settings.inline):
            self.model.restart()

    def show_settings_errors(self, errors: list[str]) -> None:
        text = "glm-lsp: invalid settings, defaults used: " + "; ".join(errors)
        self.show(lsp.MessageType.Warning, text)

    # --- lifecycle ------------------------------------------------------------------------------

    def setup(self, params: lsp.InitializeParams) -> None:
        self.loop = asyncio.get_running_loop()
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
        finally:
            info = self._index_stats()
            message = f"{info.get('files', 0)} files, {info.get('symbols', 0)} symbols"
            log.info("index: %s in %.2fs", message, time.perf_counter() - started)
            progress.end(message)
            if not cancel.is_set():
                self.index_ready.set()

    def on_shutdown(self) -> None:
        self._index_cancel.set()
        self.model.close()
        if self.engine is not None:
            self.engine.close()
        self._index_worker.shutdown(wait=False, cancel_futures=True)
        if self.stores is not None:
            self.stores.close()
        if self.log_handler is not None:
            self.log_handler.detach()

    # --- documents ------------------------------------------------------------------------------

    def sync_document(self, uri: str, language_id: str | None = None) -> None:
        """Bring the tree and (in the background) the index up to the client's text."""
        doc = self.workspace.get_text_document(uri)
        parsed = self.trees.update(
            uri, doc.source, doc.version or 0, language_id, to_fs_path(uri) or None
        )
        path = parsed.path
        if path:
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

    def note_changes(self, params: lsp.DidChangeTextDocumentParams) -> None:
        if self.engine is None:
            return
        uri = params.text_document.uri
        doc = self.workspace.get_text_document(uri)
        for change in params.content_changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                self.engine.note_edit(uri, doc.offset_at_position(change.range.start))

    # --- requests -------------------------------------------------------------------------------

    def complete(self, params: lsp.CompletionParams) -> lsp.CompletionList:
        started = time.perf_counter()
        try:
            return self._complete(params)
        finally:
            self.stats.observe("completion", (time.perf_counter() - started) * 1000.0)

    def _complete(self, params: lsp.CompletionParams) -> lsp.CompletionList:
        empty = lsp.CompletionList(is_incomplete=False, items=[])
        uri = params.text_document.uri
        parsed = self.trees.get(uri)
        if parsed is None or self.engine is None:
            log.info("completion for a document that is not open: %s", uri)
            return empty
        doc = self.workspace.get_text_document(uri)
        offset, line = cursor_line(doc, params.position)
        result = self.engine.complete(parsed, offset, self.settings.completion.max_items)
        return completion_list(
            result,
            doc,
            line,
            self.resolve_cache,
            snippets=self.settings.completion.snippets and _snippet_support(self),
            language=parsed.spec.name if parsed.spec is not None else None,
        )

    def explain(self, uri: str, position: lsp.Position) -> dict[str, Any] | None:
        parsed = self.trees.get(uri)
        if parsed is None or self.engine is None:
            return None
        offset, _ = cursor_line(self.workspace.get_text_document(uri), position)
        return result_to_json(
            self.engine.complete(parsed, offset, self.settings.completion.max_items)
        )


class Progress:
    """One ``window/workDoneProgress`` (a no-op when the client does not support it)."""

    def __init__(self, server: GlmServer, token: str | None) -> None:
        self._server = server
        self._token = token
        self._last = 0.0

    @classmethod
    async def start(cls, server: GlmServer, title: str) -> Progress:
        caps = server.client_capabilities.window
        if caps is None or not caps.work_done_progress:
            return cls(server, None)
        token = f"glm-lsp-{uuid.uuid4().hex[:8]}"
        try:
            await server.work_done_progress.create_async(token)
        except Exception as exc:
            log.info("client refused a progress token: %s", exc)
            return cls(server, None)
        server.work_done_progress.begin(
            token, lsp.WorkDoneProgressBegin(title=title, percentage=0, cancellable=False)
        )
        return cls(server, token)

    def report(self, done: int, total: int) -> None:
        """Thread-safe; rate-limited so a fast scan does not flood the client."""
        if self._token is None:
            return
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL_S and done < total:
            return
        self._last = now
        pct = int(100 * done / total) if total > 0 else 0
        value = lsp.WorkDoneProgressReport(message=f"{done}/{total} files", percentage=pct)
        self._server.call_soon(self._server.work_done_progress.report, self._token, value)

    def end(self, message: str | None = None) -> None:
        if self._token is None:
            return
        value = lsp.WorkDoneProgressEnd(message=message)
        self._server.call_soon(self._server.work_done_progress.end, self._token, value)
        self._token = None


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


def _snippet_support(server: GlmServer) -> bool:
    doc = server.client_capabilities.text_document
    completion = doc.completion if doc is not None else None
    item = completion.completion_item if completion is not None else None
    return bool(item is not None and item.snippet_support)


def _markdown_support(server: GlmServer) -> bool:
    doc = server.client_capabilities.text_document
    completion = doc.completion if doc is not None else None
    item = completion.completion_item if completion is not None else None
    formats = item.documentation_format if item is not None else None
    return bool(formats) and lsp.MarkupKind.Markdown in (formats or [])


def create_server(log_handler: LspLogHandler | None = None) -> GlmServer:
    """A server with every feature registered (a fresh one per process or test)."""
    ls = GlmServer(log_handler)

    @ls.feature(lsp.INITIALIZE)
    def initialize(params: lsp.InitializeParams) -> None:
        ls.setup(params)

    @ls.feature(lsp.INITIALIZED)
    def initialized(params: lsp.InitializedParams) -> None:
        ls.on_initialized()

    @ls.feature(lsp.SHUTDOWN)
    def shutdown(params: None) -> None:
        ls.on_shutdown()

    @ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        ls.sync_document(params.text_document.uri, params.text_document.language_id)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        ls.sync_document(params.text_document.uri)
        ls.note_changes(params)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        if ls.trees.get(params.text_document.uri) is not None:
            ls.sync_document(params.text_document.uri)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.trees.close(uri)
        if ls.engine is not None:
            ls.engine.forget(uri)
        path = to_fs_path(uri)
        if path:
            ls.reindex_from_disk(path)  # the buffer may have differed from the file

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            path = to_fs_path(change.uri)
            if not path or ls.trees.get(change.uri) is not None:
                continue  # the open buffer, not the file on disk, is the truth
            if change.type == lsp.FileChangeType.Deleted:
                ls.forget_file(path)
            else:
                ls.reindex_from_disk(path)

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: lsp.DidChangeConfigurationParams) -> None:
        raw = params.settings
        if isinstance(raw, dict) and SECTION in raw:
            raw = raw[SECTION]
        elif _pull_supported(ls):
            try:
                items = [lsp.ConfigurationItem(section=SECTION)]
                pulled = await ls.workspace_configuration_async(
                    lsp.ConfigurationParams(items=items)
                )
                raw = pulled[0] if pulled else None
            except Exception as exc:
                log.warning("workspace/configuration failed: %s", exc)
                return
        ls.apply_settings(raw, announce=True)

    @ls.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(
            trigger_characters=all_trigger_characters(),
            resolve_provider=True,
            completion_item=lsp.ServerCompletionItemOptions(label_details_support=True),
        ),
    )
    def completion(params: lsp.CompletionParams) -> lsp.CompletionList:
        return ls.complete(params)

    @ls.feature(lsp.COMPLETION_ITEM_RESOLVE)
    def completion_resolve(params: lsp.CompletionItem) -> lsp.CompletionItem:
        ls.stats.count("resolve.requests")
        return resolve(params, ls.resolve_cache, markdown=_markdown_support(ls))

    @ls.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
    async def inline_completion(
        params: lsp.InlineCompletionParams,
    ) -> lsp.InlineCompletionList:
        return await ls.model.inline(params)

    # Command handlers take the server first: pygls injects it into any handler whose first
    # parameter is annotated with the server's class, and passes the arguments after it.
    @ls.command(ACCEPT_COMMAND)
    def accepted(server: GlmServer, *args: object) -> None:
        payload = args[0] if args else None
        if isinstance(payload, dict) and ls.engine is not None:
            ls.engine.accept(payload)
            ls.stats.count("accepted.count")
        else:
            log.warning("glm-lsp.accepted needs one object argument, got %r", args)

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
        return ls.explain(args[0], lsp.Position(line=line, character=character))

    return ls


def _pull_supported(server: GlmServer) -> bool:
    ws = server.client_capabilities.workspace
    return bool(ws is not None and ws.configuration)
