"""One owner thread for the backend: newest request wins, every request gets one outcome.

Why: ``llama_cpp.Llama`` is not thread-safe and a generation is only worth finishing while the
user still looks at the same spot. So one thread owns the backend; ``submit`` cancels whatever is
running or queued (unless told not to supersede) and queues the new request. Each ticket ends
exactly once: a ``Generation``, ``Cancelled`` (superseded or cancelled; carries the partial
generation when there is one) or the backend's exception. A ticket is awaitable from asyncio and
cancelling the awaiting task cancels the generation.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections import deque
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from glm_lsp.model.backend import CancelToken, Generation, GenerationRequest, ModelBackend

log = logging.getLogger(__name__)
T = TypeVar("T")


class Cancelled(Exception):
    """The request was superseded or cancelled before it finished."""

    def __init__(self, reason: str = "cancelled", generation: Generation | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.generation = generation


class Ticket:
    """A submitted request: ``await ticket``, ``ticket.result(timeout)`` or ``ticket.cancel()``."""

    def __init__(self, req: GenerationRequest) -> None:
        self.request = req
        self.token = CancelToken()
        self.future: concurrent.futures.Future[Generation] = concurrent.futures.Future()
        self._reason = "cancelled"

    def cancel(self, reason: str = "cancelled") -> None:
        if not self.token.cancelled:
            self._reason = reason
        self.token.cancel()

    @property
    def reason(self) -> str:
        return self._reason

    def result(self, timeout: float | None = None) -> Generation:
        return self.future.result(timeout)

    def done(self) -> bool:
        return self.future.done()

    async def wait(self) -> Generation:
        try:
            return await asyncio.wrap_future(self.future)
        except asyncio.CancelledError:
            self.cancel("request cancelled")
            raise

    def __await__(self) -> Generator[Any, None, Generation]:
        return self.wait().__await__()


class ModelWorker:
    """Serializes every backend call on one daemon thread."""

    def __init__(self, backend: ModelBackend, name: str = "glm-lsp-model") -> None:
        self.backend = backend
        self._lock = threading.Condition()
        self._queue: deque[Ticket | tuple[Callable[[], Any], concurrent.futures.Future[Any]]]
        self._queue = deque()
        self._running: Ticket | None = None
        self._closed = False
        self.counts = {"submitted": 0, "completed": 0, "cancelled": 0, "failed": 0}
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # -- API ---------------------------------------------------------------------------------

    def call(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn`` on the owner thread (``backend.load``, ``backend.tokenize``...)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                future.set_exception(RuntimeError("model worker is closed"))
                return future
            self._queue.append((fn, future))
            self._lock.notify()
        return future

    def load(self) -> concurrent.futures.Future[None]:
        return self.call(self.backend.load)

    def submit(self, req: GenerationRequest, supersede: bool = True) -> Ticket:
        """Queue ``req``; by default cancel the running and queued requests first."""
        ticket = Ticket(req)
        dropped: list[Ticket] = []
        with self._lock:
            self.counts["submitted"] += 1
            if self._closed:
                dropped.append(ticket)
                ticket.cancel("model worker is closed")
            else:
                if supersede:
                    if self._running is not None:
                        self._running.cancel("superseded by a newer request")
                    kept: deque[Any] = deque()
                    for item in self._queue:
                        if isinstance(item, Ticket):
                            item.cancel("superseded by a newer request")
                            dropped.append(item)
                        else:
                            kept.append(item)
                    self._queue = kept
                self._queue.append(ticket)
                self._lock.notify()
        for old in dropped:
            self._finish_cancelled(old, None)
        return ticket

    def cancel_all(self, reason: str = "cancelled") -> None:
        with self._lock:
            if self._running is not None:
                self._running.cancel(reason)
            tickets = [t for t in self._queue if isinstance(t, Ticket)]
            self._queue = deque(item for item in self._queue if not isinstance(item, Ticket))
        for ticket in tickets:
            ticket.cancel(reason)
            self._finish_cancelled(ticket, None)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._running is not None or bool(self._queue)

    def close(self, timeout: float = 5.0) -> None:
        """Cancel everything, stop the thread, then close the backend on it."""
        self.cancel_all("model worker is closed")
        closing = self.call(self.backend.close)
        with self._lock:
            self._closed = True
            self._lock.notify()
        try:
            closing.result(timeout)
        except Exception:
            log.exception("closing the model backend failed")
        self._thread.join(timeout)

    # -- owner thread ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if not self._queue:
                    return
                item = self._queue.popleft()
                if isinstance(item, Ticket):
                    self._running = item
            try:
                if isinstance(item, Ticket):
                    self._generate(item)
                else:
                    self._call(*item)
            finally:
                with self._lock:
                    self._running = None

    @staticmethod
    def _call(fn: Callable[[], Any], future: concurrent.futures.Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:
            future.set_exception(exc)

    def _generate(self, ticket: Ticket) -> None:
        if ticket.token.cancelled:
            self._finish_cancelled(ticket, None)
            return
        try:
            gen = self.backend.generate(ticket.request, ticket.token)
        except BaseException as exc:
            with self._lock:
                self.counts["failed"] += 1
            _settle(ticket.future, exc=exc)
            return
        if gen.cancelled or ticket.token.cancelled:
            self._finish_cancelled(ticket, gen)
            return
        with self._lock:
            self.counts["completed"] += 1
        _settle(ticket.future, value=gen)

    def _finish_cancelled(self, ticket: Ticket, gen: Generation | None) -> None:
        with self._lock:
            self.counts["cancelled"] += 1
        _settle(ticket.future, exc=Cancelled(ticket.reason, gen))


def _settle(
    future: concurrent.futures.Future[Generation],
    value: Generation | None = None,
    exc: BaseException | None = None,
) -> None:
    """Resolve once; a future already cancelled from asyncio keeps that outcome."""
    try:
        if exc is not None:
            future.set_exception(exc)
        elif value is not None:
            future.set_result(value)
    except concurrent.futures.InvalidStateError:
        pass
