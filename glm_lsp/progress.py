"""``window/workDoneProgress`` for long jobs (indexing, model load), safe from any thread.

The job never waits for the client: :meth:`Progress.begin` returns at once and the token is
created in the background. Reports made before the client answered are kept (the newest one) and
sent once it has; a client that never answers, refuses, or did not announce
``window.workDoneProgress`` gets no reports and the job runs all the same. Reports are
rate-limited: a fast scan must not flood the client with thousands of notifications.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from lsprotocol import types as lsp
from pygls.progress import Progress as PyglsProgress

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.2


class ProgressHost(Protocol):
    """The parts of the server a progress report needs (``GlmServer`` has them)."""

    @property
    def client_capabilities(self) -> lsp.ClientCapabilities: ...

    @property
    def work_done_progress(self) -> PyglsProgress: ...

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None: ...


class Progress:
    """One ``window/workDoneProgress`` (a no-op when the client does not support it)."""

    def __init__(self, host: ProgressHost, title: str) -> None:
        self._host = host
        self._title = title
        self._token: str | None = None
        self._lock = threading.Lock()
        self._held: tuple[str, int | None] | None = None
        self._ended = False
        self._end_message: str | None = None
        self._last = 0.0

    @classmethod
    def begin(cls, host: ProgressHost, title: str) -> Progress:
        """Start creating the token (on the running loop) and return at once."""
        progress = cls(host, title)
        caps = host.client_capabilities.window
        if caps is not None and caps.work_done_progress:
            task = asyncio.ensure_future(progress._create())
            _keep(task)
        return progress

    async def _create(self) -> None:
        token = f"glm-lsp-{uuid.uuid4().hex[:8]}"
        try:
            await self._host.work_done_progress.create_async(token)
        except Exception as exc:
            log.info("client refused a progress token: %s", exc)
            return
        wp = self._host.work_done_progress
        wp.begin(token, lsp.WorkDoneProgressBegin(title=self._title, percentage=0))
        with self._lock:
            self._token = token
            held, self._held = self._held, None
            ended, end_message = self._ended, self._end_message
        if held is not None and not ended:
            self.message(*held, force=True)
        if ended:
            self._send_end(token, end_message)

    def report(self, done: int, total: int) -> None:
        """``done`` of ``total`` files (the index's progress callback); thread-safe."""
        if done < total and time.monotonic() - self._last < PROGRESS_INTERVAL_S:
            return
        pct = int(100 * done / total) if total > 0 else 0
        self.message(f"{done}/{total} files", pct, force=True)

    def message(self, text: str, percentage: int | None = None, *, force: bool = False) -> None:
        """Any progress message; thread-safe and rate-limited unless ``force``."""
        with self._lock:
            if self._ended:
                return
            token = self._token
            if token is None:
                self._held = (text, percentage)
                return
            now = time.monotonic()
            if not force and now - self._last < PROGRESS_INTERVAL_S:
                return
            self._last = now
        value = lsp.WorkDoneProgressReport(message=text, percentage=percentage)
        self._host.call_soon(self._host.work_done_progress.report, token, value)

    def end(self, message: str | None = None) -> None:
        """End it (once); before the token exists, it ends as soon as it does."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
            self._end_message = message
            token = self._token
        if token is not None:
            self._send_end(token, message)

    def _send_end(self, token: str, message: str | None) -> None:
        value = lsp.WorkDoneProgressEnd(message=message)
        self._host.call_soon(self._host.work_done_progress.end, token, value)


_TASKS: set[asyncio.Future[None]] = set()


def _keep(task: asyncio.Future[None]) -> None:
    """Hold a reference until the task ends (asyncio keeps only weak ones)."""
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
