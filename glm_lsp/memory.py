"""Give freed memory back to the system after a big document goes.

Why: a document of megabytes takes a syntax tree of tens to hundreds of MB. When it is closed
or replaced, glibc keeps the freed pages in its heaps (one per thread that allocated), so the
server's RSS stayed at its high-water mark: under random traffic of 2 MB documents the heaps
held ~1.2 GB of free space around ~0.4 GB of live data (measured with ``mallinfo2``), and
``malloc_trim(0)`` gave it back. :func:`release_soon` asks for one trim a moment after such an
event (coalesced, on a timer thread: a trim walks every heap). Only glibc has ``malloc_trim``;
elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

BIG_TEXT = 256 * 1024
"""Documents from this size up trigger a trim when they are closed or replaced."""
DELAY_S = 2.0

_lock = threading.Lock()
_timer: threading.Timer | None = None
_trim: Callable[[int], int] | bool | None = False  # False: not looked up yet


def _malloc_trim() -> Callable[[int], int] | None:
    global _trim
    if _trim is False:
        _trim = None
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                func = libc.malloc_trim
                func.argtypes = [ctypes.c_size_t]
                func.restype = ctypes.c_int
                _trim = func
            except (OSError, AttributeError):  # musl and others have no malloc_trim
                _trim = None
    return _trim if callable(_trim) else None


def trim() -> bool:
    """Return free heap pages to the system now; False where that is not possible."""
    func = _malloc_trim()
    if func is None:
        return False
    try:
        func(0)
    except Exception:  # never worth failing for
        log.debug("malloc_trim failed", exc_info=True)
        return False
    return True


def release_soon(delay: float = DELAY_S) -> None:
    """One :func:`trim` ``delay`` seconds from now (later calls before it fire join it)."""
    global _timer
    if _malloc_trim() is None:
        return
    with _lock:
        if _timer is not None:
            return

        def fire() -> None:
            global _timer
            with _lock:
                _timer = None
            trim()

        _timer = threading.Timer(delay, fire)
        _timer.daemon = True
        _timer.name = "glm-lsp-trim"
        _timer.start()


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def usage() -> dict[str, int | None]:
    """What the process holds, for ``glm-lsp.stats``: resident set (KB), bytes glibc's heaps
    hand out (KB; with ``PYTHONMALLOC=malloc`` every Python object too: live data, without
    the free pages RSS keeps), and Python's small-object blocks. ``None`` where unknown.

    Why: RSS alone mixes what is kept with how fragmented the heap is, and after a burst of
    big documents the second moves RSS by hundreds of MB either way.
    """
    rss: int | None = None
    heap: int | None = None
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                    break
    except (OSError, ValueError, IndexError):
        pass
    if _malloc_trim() is not None:  # glibc: mallinfo2 since 2.33
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            func = libc.mallinfo2
            func.argtypes = []
            func.restype = _MallInfo2
            info = func()
            heap = (info.uordblks + info.hblkhd) // 1024
        except (OSError, AttributeError):
            heap = None
    return {"rss_kb": rss, "heap_in_use_kb": heap, "python_blocks": sys.getallocatedblocks()}
