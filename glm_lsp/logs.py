"""Logging: stdlib ``logging`` bridged to the client's ``window/logMessage`` and to a file.

stdout belongs to the protocol, so nothing here ever writes to it. Records are buffered until the
client has initialized (a ``window/logMessage`` before ``initialize`` is a protocol error) and then
replayed in order. Only our own ``glm_lsp.*`` loggers are bridged: pygls logs every message it
sends at INFO, and bridging those would echo each log message back into the log forever.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from io import TextIOWrapper
from pathlib import Path
from typing import TextIO

from lsprotocol.types import MessageType

ROOT_LOGGER = "glm_lsp"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
BUFFER = 1000
"""Records kept while no client is attached; the oldest are dropped beyond this."""

Sender = Callable[[MessageType, str], None]


def message_type(level: int) -> MessageType:
    """LSP severity for a logging level (DEBUG maps to ``Log``, the quietest)."""
    if level >= logging.ERROR:
        return MessageType.Error
    if level >= logging.WARNING:
        return MessageType.Warning
    if level >= logging.INFO:
        return MessageType.Info
    return MessageType.Log


class LspLogHandler(logging.Handler):
    """Sends records to the client once :meth:`attach` gave it a sender; buffers before that."""

    def __init__(self, level: int = logging.INFO, capacity: int = BUFFER) -> None:
        super().__init__(level)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self._buffer: deque[tuple[MessageType, str]] = deque(maxlen=capacity)
        self._sender: Sender | None = None
        self._guard = threading.local()
        self._state = threading.Lock()

    def attach(self, sender: Sender) -> None:
        """Start sending; replays what was buffered so far."""
        with self._state:
            self._sender = sender
            pending = list(self._buffer)
            self._buffer.clear()
        for kind, text in pending:
            self._send(sender, kind, text)

    def detach(self) -> None:
        with self._state:
            self._sender = None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._guard, "active", False):
            return  # a log call made while sending a log message: drop, never recurse
        try:
            text = self.format(record)
        except Exception:  # a bad format string must not take the server down
            self.handleError(record)
            return
        kind = message_type(record.levelno)
        with self._state:
            sender = self._sender
            if sender is None:
                self._buffer.append((kind, text))
                return
        self._send(sender, kind, text)

    def _send(self, sender: Sender, kind: MessageType, text: str) -> None:
        self._guard.active = True
        try:
            sender(kind, text)
        except Exception:  # the client went away; logging must not raise
            pass
        finally:
            self._guard.active = False


class PrivateFileHandler(logging.FileHandler):
    """A log file only its owner can read (mode 0600): logs quote the code being written."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.stream = self._open()  # now: a file that cannot be opened fails here, not later

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        # An existing file keeps its mode otherwise (not ours to change, or no fchmod: Windows).
        with contextlib.suppress(OSError, AttributeError):
            os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(
    verbose: int = 0,
    log_file: str | None = None,
    *,
    lsp: bool = True,
    stderr: TextIO | None = None,
) -> LspLogHandler | None:
    """Configure logging for one process; returns the LSP handler to attach once initialized.

    ``verbose``: 0 → INFO for our loggers, 1 → DEBUG for ours, 2+ → DEBUG for pygls as well.
    ``lsp=False`` (the ``complete``/``demo`` commands) logs warnings to stderr instead.
    """
    ours = logging.getLogger(ROOT_LOGGER)
    ours.setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    for handler in list(root.handlers):
        if getattr(handler, "_glm_lsp", False):
            root.removeHandler(handler)
            handler.close()
    for handler in list(ours.handlers):
        if getattr(handler, "_glm_lsp", False):
            ours.removeHandler(handler)
            handler.close()

    if log_file:
        try:
            Path(log_file).expanduser().parent.mkdir(parents=True, exist_ok=True)
            file_handler: logging.Handler = PrivateFileHandler(Path(log_file).expanduser())
        except OSError as exc:
            print(f"glm-lsp: cannot open log file {log_file}: {exc}", file=sys.stderr)
        else:
            file_handler.setFormatter(logging.Formatter(FORMAT))
            file_handler.setLevel(logging.DEBUG)
            _mark(file_handler)
            root.addHandler(file_handler)

    # Errors also go to stderr: editors show it, and it survives a broken protocol stream.
    err_handler = logging.StreamHandler(stderr or sys.stderr)
    err_handler.setFormatter(logging.Formatter(FORMAT))
    err_handler.setLevel(logging.ERROR if lsp else logging.WARNING)
    _mark(err_handler)
    root.addHandler(err_handler)

    if not lsp:
        return None
    lsp_handler = LspLogHandler(logging.DEBUG if verbose >= 1 else logging.INFO)
    _mark(lsp_handler)
    ours.addHandler(lsp_handler)
    return lsp_handler


def _mark(handler: logging.Handler) -> None:
    handler._glm_lsp = True  # type: ignore[attr-defined]
