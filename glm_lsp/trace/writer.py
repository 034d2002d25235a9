"""The background writer: records are built, redacted and written on one thread of their own.

The request path calls :meth:`Tracer.submit`, which is a ``put_nowait`` on a bounded queue: it
never touches the disk, never serializes, and never blocks (a full queue drops the event and
counts it). The writer appends JSON lines to ``<dir>/trace-<start>-<pid>-<n>.jsonl``, each file
created ``0600`` in a ``0700`` directory whose owner is checked (the trace shows what the user
writes). A file is closed at a quarter of ``trace.maxMB``; then the oldest files of the
directory are deleted until it and a full new file fit under the cap, whichever server wrote
them. Any disk
error turns tracing off for the session (logged once): the trace is never worth a failure.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from glm_lsp.cache import make_private_dir
from glm_lsp.trace.records import AcceptEvent, RequestEvent, TextPolicy, build_record

log = logging.getLogger(__name__)

QUEUE_SIZE = 4096
MIN_SEGMENT = 64 * 1024
FILE_GLOB = "trace-*.jsonl"


class _Flush:
    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


class Tracer:
    """Session-wide trace: request ids, the event queue and the writer thread."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        policy: TextPolicy,
        roots: Callable[[], Sequence[Path]] = list,
    ) -> None:
        self.directory = directory
        self.max_bytes = max(max_bytes, MIN_SEGMENT)
        self.policy = policy
        self._roots = roots
        self.session = secrets.token_hex(3)
        self._ids = itertools.count(1)
        self._queue: queue.Queue[object] = queue.Queue(QUEUE_SIZE)
        self.dropped = 0
        self.written = 0
        self.failed: str | None = None
        self._file: Any = None
        self._size = 0
        self._segments = itertools.count(1)
        self._started = time.strftime("%Y%m%d-%H%M%S")
        self.thread = threading.Thread(target=self._run, name="glm-lsp-trace", daemon=True)
        self.thread.start()

    # --- request path (cheap, never blocks, never raises) ----------------------------------------

    def next_id(self) -> str:
        return f"{self.session}-{next(self._ids)}"

    def submit(self, event: RequestEvent | AcceptEvent) -> None:
        if self.failed is not None:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def accept(self, payload: Mapping[str, Any]) -> None:
        self.submit(AcceptEvent(time.time(), dict(payload)))

    # --- control ------------------------------------------------------------------------------

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted so far is on disk (tests, ``glm-lsp.trace``)."""
        marker = _Flush()
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            return False
        return marker.done.wait(timeout)

    def close(self, timeout: float = 2.0) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        self.thread.join(timeout)

    # --- writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            if isinstance(item, _Flush):
                self._flush_file()
                item.done.set()
                continue
            if self.failed is not None or not isinstance(item, (RequestEvent, AcceptEvent)):
                continue
            try:
                record = build_record(item, self.policy, list(self._roots()))
                line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
            except Exception:
                log.exception("building a trace record failed")
                continue
            try:
                self._write_line(line + "\n")
            except OSError as exc:
                self._fail(exc)
            if self._queue.empty():
                self._flush_file()
        self._flush_file()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def _write_line(self, line: str) -> None:
        data = line.encode("utf-8")
        if self._file is None or self._size + len(data) > self._segment_bytes():
            self._rotate()
        assert self._file is not None
        self._file.write(data)
        self._size += len(data)
        self.written += 1

    def _segment_bytes(self) -> int:
        return max(MIN_SEGMENT // 4, self.max_bytes // 4)

    def _rotate(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        make_private_dir(self.directory)
        name = f"trace-{self._started}-{os.getpid()}-{next(self._segments)}.jsonl"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
        self._file = os.fdopen(fd, "ab")
        self._size = 0
        # Room for the new file to grow to its full size without the cap being passed.
        prune(self.directory, self.max_bytes - self._segment_bytes(), keep=path)

    def _flush_file(self) -> None:
        if self._file is not None:
            try:
                self._file.flush()
            except OSError as exc:
                self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if self.failed is None:
            self.failed = str(exc)
            log.warning("trace off for this session: cannot write %s: %s", self.directory, exc)


def prune(directory: Path, max_bytes: int, keep: Path | None = None) -> list[Path]:
    """Delete the oldest trace files until the directory holds at most ``max_bytes``."""
    files = []
    for path in directory.glob(FILE_GLOB):
        with contextlib.suppress(OSError):
            st = path.stat()
            files.append((st.st_mtime, path.name, path, st.st_size))
    files.sort()
    total = sum(size for *_, size in files)
    removed: list[Path] = []
    for _, _, path, size in files:
        if total <= max_bytes:
            break
        if keep is not None and path == keep:
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
            total -= size
    return removed
