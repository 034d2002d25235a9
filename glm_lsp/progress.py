"""``window/workDoneProgress`` for long jobs (indexing, model load), safe from any thread.

A :class:`Progress` is a no-op when the client did not announce ``window.workDoneProgress`` or
refused the token, so callers report unconditionally. Reports are rate-limited: a fast scan
must not flood the client with thousands of notifications.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from glm_lsp.server import GlmServer

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.2


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

    @property
    def active(self) -> bool:
        return self._token is not None

    def report(self, done: int, total: int) -> None:
        """``done`` of ``total`` files (the index's progress callback); thread-safe."""
        if done < total and time.monotonic() - self._last < PROGRESS_INTERVAL_S:
            return
        pct = int(100 * done / total) if total > 0 else 0
        self.message(f"{done}/{total} files", pct, force=True)

    def message(self, text: str, percentage: int | None = None, *, force: bool = False) -> None:
        """Any progress message; thread-safe and rate-limited unless ``force``."""
        token = self._token
        if token is None:
            return
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        value = lsp.WorkDoneProgressReport(message=text, percentage=percentage)
        self._server.call_soon(self._server.work_done_progress.report, token, value)

    def end(self, message: str | None = None) -> None:
        if self._token is None:
            return
        value = lsp.WorkDoneProgressEnd(message=message)
        self._server.call_soon(self._server.work_done_progress.end, self._token, value)
        self._token = None
