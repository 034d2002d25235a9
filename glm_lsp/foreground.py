"""Requests first: background work pauses while the event loop answers a request.

Why: the server is one process, and every thread runs Python (or tree-sitter, which holds the
GIL while it parses). A symbol extraction or a first parse started when a file opens competed
with the request that came right behind it: the first dropdown in a file took 10-40 ms where
the next ones took 3-5 ms, though the request itself needed 2-9 ms of CPU. Background loops
(the extractor per region, the parse's progress callback, the index build per file) call
:func:`pause_for_requests` at their checkpoints; while a request is in flight they wait, with
the GIL released, for at most :data:`MAX_PAUSE_S` at a time, so a stream of requests can slow
background work but never starve it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

MAX_PAUSE_S = 0.05

_lock = threading.Lock()
_in_flight = 0
_idle = threading.Event()
_idle.set()


@contextlib.contextmanager
def request() -> Iterator[None]:
    """Marks a request as in flight (on the event loop) for its whole duration."""
    global _in_flight
    with _lock:
        _in_flight += 1
        _idle.clear()
    try:
        yield
    finally:
        with _lock:
            _in_flight -= 1
            if _in_flight == 0:
                _idle.set()


def pause_for_requests() -> bool:
    """Called by background work between steps: waits while a request is in flight (never on
    the main thread, which is the event loop's). True when it paused."""
    if _idle.is_set() or threading.current_thread() is threading.main_thread():
        return False
    _idle.wait(MAX_PAUSE_S)
    return True


def busy() -> bool:
    """Whether a request is in flight."""
    return not _idle.is_set()
