"""pygls' protocol, changed so that every request gets exactly one response.

pygls 2.1 deserializes each message inside ``json.loads(object_hook=...)``; when a request's
params do not fit the LSP types (a negative line, a missing field, a string where a number goes)
the exception escapes to its read loop, which shows a ``window/showMessage`` and sends **no
response**, so the client waits forever. Here such a request is answered with JSON-RPC
``-32602 Invalid params`` naming the method and the problem; a malformed notification is logged
and dropped (there is nobody to answer).
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol.types import ResponseError
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)

INVALID_PARAMS = -32602


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

    def handle_message(self, message: Any) -> None:
        if message is HANDLED:
            return
        super().handle_message(message)
