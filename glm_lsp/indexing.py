"""The index thread: one background thread owns every write to the workspace index.

Why one thread: index writes are serialized without locks on the request path, and a scan of a
big workspace never competes with a keystroke for more than the GIL. Per file, only the newest
queued job runs (a burst of saves re-indexes a file once); an edited document is re-indexed only
after typing pauses (``INDEX_DELAY_S``), since the completion engine keeps the open document's own
symbols current meanwhile. A full (re)build starts at once and reports progress when the client
allows it; it never waits for the client to answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.analysis.walk import read_source
from glm_lsp.progress import Progress, ProgressHost
from glm_lsp.syntax.parse import ParsedDocument

log = logging.getLogger(__name__)

INDEX_DELAY_S = 1.0
"""Pause in typing after which an edited document is re-indexed."""

Job = Callable[[WorkspaceIndex], Any]


class Indexer:
    """Builds and updates one :class:`WorkspaceIndex` on the index thread."""

    def __init__(self, host: ProgressHost, index: WorkspaceIndex) -> None:
        self._host = host
        self.index = index
        self.ready = threading.Event()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="glm-lsp-index")
        self._cancel = threading.Event()
        self._jobs: dict[str, Callable[[], None]] = {}
        self._lock = threading.Lock()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._build: asyncio.Future[None] | None = None

    def rebuild(self, index: WorkspaceIndex, roots: list[Path]) -> None:
        """Replace the index and build it over ``roots`` (cancelling a build in progress)."""
        self._cancel.set()
        self._cancel = cancel = threading.Event()
        self.index = index
        self.ready.clear()
        self._build = asyncio.ensure_future(self._run_build(index, list(roots), cancel))

    async def _run_build(
        self, index: WorkspaceIndex, roots: list[Path], cancel: threading.Event
    ) -> None:
        progress = Progress.begin(self._host, "glm-lsp: indexing")
        started = time.perf_counter()

        def build() -> None:
            for root in roots:
                if cancel.is_set():
                    return
                try:
                    index.build(root, progress.report, cancel)
                except Exception:
                    log.exception("indexing %s failed", root)

        try:
            await asyncio.get_running_loop().run_in_executor(self._worker, build)
        except RuntimeError:  # the server shut down before the build could start
            progress.end("cancelled")
            return
        except asyncio.CancelledError:
            progress.end("cancelled")
            raise
        info = index.stats()
        message = f"{info.get('files', 0)} files, {info.get('symbols', 0)} symbols"
        log.info("index: %s in %.2fs", message, time.perf_counter() - started)
        progress.end(message)
        if not cancel.is_set():
            self.ready.set()

    # -- one file ----------------------------------------------------------------------------

    def document_changed(self, doc: ParsedDocument, delay: float) -> None:
        """Re-index an open document now (``delay`` 0) or once typing pauses for ``delay``."""
        path = doc.path
        if not path:
            return
        self._drop_timer(path)
        if delay > 0:
            loop = asyncio.get_running_loop()
            self._timers[path] = loop.call_later(delay, self._index_document, doc, path)
        else:
            self._index_document(doc, path)

    def _index_document(self, doc: ParsedDocument, path: str) -> None:
        self._timers.pop(path, None)
        # The tree is edited in place by the next keystroke: the job gets a copy.
        tree = doc.tree.copy() if doc.tree is not None else None
        text, lang = doc.text, doc.language_id

        def job(index: WorkspaceIndex) -> None:
            index.update_file(path, text, lang, tree)

        self.later(path, job)

    def _drop_timer(self, path: str) -> None:
        timer = self._timers.pop(path, None)
        if timer is not None:
            timer.cancel()

    def forget(self, path: str) -> None:
        self._drop_timer(path)

        def job(index: WorkspaceIndex) -> None:
            index.remove_file(path)

        self.later(path, job)

    def from_disk(self, path: str, max_size: int) -> None:
        """Re-read ``path`` (the buffer may have differed from the file; a watched change)."""
        self._drop_timer(path)

        def job(index: WorkspaceIndex) -> None:
            text = read_source(Path(path), max_size)
            if text is None:
                index.remove_file(path)
            else:
                index.update_file(path, text)

        self.later(path, job)

    def later(self, path: str, job: Job) -> None:
        """Queue one update per path on the index thread; the newest job for a path wins."""
        index = self.index

        def run() -> None:
            with self._lock:
                latest = self._jobs.pop(path, None)
            if latest is not None:
                latest()

        def guarded() -> None:
            try:
                job(index)
            except Exception:
                log.exception("index update failed for %s", path)

        with self._lock:
            queued = path in self._jobs
            self._jobs[path] = guarded
        if not queued:
            with contextlib.suppress(RuntimeError):  # after shutdown
                self._worker.submit(run)

    def close(self) -> None:
        """Stop at once: a build stops at its next cancel check, queued jobs are dropped."""
        self._cancel.set()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        with self._lock:
            self._jobs.clear()
        self._worker.shutdown(wait=False, cancel_futures=True)
