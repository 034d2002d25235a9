"""pygls' protocol, changed so that every request gets exactly one response.

pygls 2.1 deserializes each message inside ``json.loads(object_hook=...)``; when a request's
params do not fit the LSP types (a negative line, a missing field, a string where a number goes)
the exception escapes to its read loop, which shows a ``window/showMessage`` and sends **no
response**, so the client waits forever. Here such a request is answered with JSON-RPC
``-32602 Invalid params`` naming the method and the problem; a malformed notification is logged
and dropped (there is nobody to answer).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Generator
from typing import Any, BinaryIO

from lsprotocol.types import (
    INITIALIZE,
    InitializeParams,
    InitializeResult,
    PositionEncodingKind,
    ResponseError,
)
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)


class _QuietDeserializeErrors(logging.Filter):
    """pygls logs every message it cannot read at ERROR with the whole cattrs traceback (~40
    lines on stderr and in the client's log for one garbage message); GlmProtocol answers or
    drops such a message and logs one line saying why."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


logging.getLogger("pygls.protocol.json_rpc").addFilter(_QuietDeserializeErrors())

INVALID_PARAMS = -32602
INVALID_REQUEST = -32600
PARSE_ERROR = -32700


class Wire:
    """A handler result already in its JSON form, sent as is.

    pygls converts results with cattrs, which for a hundred completion items costs more than
    computing them; hot handlers build JSON data directly and wrap it in this.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Handled:
    """Stands in for a message that was already answered while deserializing it."""

    jsonrpc = "2.0"


HANDLED = _Handled()


def describe_failure(exc: BaseException) -> str:
    """A one-line reason from a (possibly nested cattrs) deserialization error."""
    cause: BaseException = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    inner = getattr(cause, "exceptions", None)
    while inner:
        cause = inner[0]
        inner = getattr(cause, "exceptions", None)
    text = str(cause) or type(cause).__name__
    return text.splitlines()[0][:200]


class GlmProtocol(LanguageServerProtocol):
    """Language server protocol that answers undeserializable requests with -32602."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not isinstance(data, dict) or "jsonrpc" not in data:
                raise
            method = data.get("method")
            msg_id = data.get("id")
            reason = describe_failure(exc)
            if method is not None and isinstance(msg_id, (int, str)) and "error" not in data:
                log.warning("invalid params for %s (id %r): %s", method, msg_id, reason)
                self._send_response(
                    msg_id,
                    error=ResponseError(
                        code=INVALID_PARAMS,
                        message=f"Invalid params for {method}: {reason}",
                    ),
                )
                return HANDLED
            if method is not None:
                log.warning("dropping malformed %s notification: %s", method, reason)
                return HANDLED
            raise

    @lsp_method(INITIALIZE)
    def lsp_initialize(self, params: InitializeParams) -> Generator[Any, Any, InitializeResult]:
        """pygls takes the first encoding in the client's list that it knows; we take UTF-8
        whenever it is offered (DESIGN.md), else pygls' choice (UTF-16 by default)."""
        general = params.capabilities.general
        offered = list(general.position_encodings or []) if general is not None else []
        if general is not None and PositionEncodingKind.Utf8 in offered:
            general.position_encodings = [
                PositionEncodingKind.Utf8,
                *(e for e in offered if e != PositionEncodingKind.Utf8),
            ]
        result: InitializeResult = yield from super().lsp_initialize(params)
        return result

    def _send_response(
        self, msg_id: Any, result: Any | None = None, error: ResponseError | None = None
    ) -> None:
        if error is None and isinstance(result, Wire):
            self._result_types.pop(msg_id, None)
            self._send_data({"jsonrpc": self.VERSION, "id": msg_id, "result": result.value})
            return
        super()._send_response(msg_id, result, error)

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """pygls 2.1 files the future of every notification whose handler is a generator
        (its own didOpen/didChange/didClose, which call ours) under a fresh id, and only
        responses ever remove an entry: one Future (~1.3 KB) kept per keystroke, for good
        (10,177 after a 10,000-edit soak). A notification's entry goes when it is done."""
        if getattr(callback, "__func__", None) is LanguageServerProtocol._check_handler_result:
            check = callback

            def callback(future: Any) -> None:
                self._request_futures.pop(msg_id, None)
                check(future)

        super()._execute_handler(msg_id, handler, callback, args, kwargs)

    def handle_message(self, message: Any) -> None:
        if message is HANDLED:
            return
        method = getattr(message, "method", None)
        msg_id = getattr(message, "id", None)
        if self._shutdown and method not in (None, "exit") and msg_id is not None:
            # pygls drops requests after shutdown without a word; the client would wait.
            self._send_response(
                msg_id,
                error=ResponseError(
                    code=INVALID_REQUEST, message=f"{method}: the server is shutting down"
                ),
            )
            return
        super().handle_message(message)

    def answer_parse_error(self, exc: BaseException) -> None:
        """A body that is not JSON has no id to answer; JSON-RPC says answer with id null."""
        self._send_data(
            {
                "jsonrpc": self.VERSION,
                "id": None,
                "error": {"code": PARSE_ERROR, "message": f"Parse error: {describe_failure(exc)}"},
            }
        )


class _PipeUnsupported(Exception):
    """stdin cannot be read by the event loop; use pygls' threaded reader."""


def serve_stdio(server: LanguageServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Serve ``server`` over stdio, reading with the event loop instead of a thread per read.

    pygls reads each header line and body through ``run_in_executor``: three thread hand-offs
    per message, each of which can wait a whole GIL switch interval while a background thread
    (indexing, symbol extraction) runs. An asyncio pipe reader has none. Falls back to pygls'
    reader where a pipe cannot be attached (a regular file, some Windows consoles).
    """
    untyped: Any = server  # pygls' JsonRPCServer internals are unannotated
    untyped._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))
    try:
        asyncio.run(_read_pipe(server, stdin))
    except _PipeUnsupported:
        LanguageServer.start_io(server, stdin, stdout)
        return
    except BrokenPipeError:
        log.error("connection to the client lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    untyped.shutdown()


async def _read_pipe(server: LanguageServer, stdin: BinaryIO) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**20)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
    except (OSError, ValueError, NotImplementedError) as exc:
        raise _PipeUnsupported from exc
    untyped: Any = server
    await run_async(
        stop_event=untyped._stop_event,
        reader=reader,
        protocol=server.protocol,
        logger=logging.getLogger("pygls.server"),
        error_handler=server.report_server_error,
    )
