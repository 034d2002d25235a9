"""The server's side of the model: start/stop ``ModelService``, answer inline completion.

``glm_lsp.model`` is optional at run time (``model.backend = "none"``, or a build without
llama.cpp), so it is imported lazily and every call into it is guarded: a model failure costs
ghost text, never the dropdown. Until a service exists, inline completion answers an empty list.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from glm_lsp.items import cursor_line

if TYPE_CHECKING:
    from glm_lsp.server import GlmServer

log = logging.getLogger(__name__)


class ModelBridge:
    """Owns the optional ``ModelService`` of one server session."""

    def __init__(self, server: GlmServer) -> None:
        self._server = server
        self._service: Any = None

    @property
    def service(self) -> Any:
        return self._service

    def start(self) -> None:
        """Create the service for the current settings (it loads the model in the background)."""
        settings = self._server.settings
        if settings.model.backend == "none":
            log.info("model disabled (model.backend = none)")
            return
        try:
            model_service = importlib.import_module("glm_lsp.model.inline").ModelService
        except (ImportError, AttributeError) as exc:
            log.info("model support not available: %s", exc)
            return
        try:
            self._service = _construct(model_service, self._server)
        except Exception:
            log.exception("could not start the model service")
            self._service = None

    def restart(self) -> None:
        self.close()
        self.start()

    def close(self) -> None:
        service, self._service = self._service, None
        if service is None:
            return
        try:
            result = service.close()
            if inspect.isawaitable(result):
                self._server.spawn(result)
        except Exception:
            log.exception("closing the model service failed")

    def stats(self) -> dict[str, Any]:
        """Sections for ``glm-lsp.stats`` (``model``, and ``inline``/``cache`` when reported)."""
        service = self._service
        if service is None:
            return {}
        try:
            raw = service.stats()
        except Exception:
            log.exception("model stats failed")
            return {}
        if not isinstance(raw, dict):
            return {}
        if any(isinstance(v, dict) for v in raw.values()):
            return {k: v for k, v in raw.items() if isinstance(v, dict)}
        return {"model": raw}

    async def inline(self, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        server = self._server
        server.stats.count("inline.requests")
        empty = lsp.InlineCompletionList(items=[])
        service = self._service
        if service is None or not server.settings.inline.enabled:
            return empty
        uri = params.text_document.uri
        parsed = server.trees.get(uri)
        if parsed is None:
            return empty
        doc = server.workspace.get_text_document(uri)
        offset, line = cursor_line(doc, params.position)
        from glm_lsp.syntax.context import build_context

        ctx = build_context(parsed.spec, parsed.text, offset, parsed.tree)
        cancel = importlib.import_module("glm_lsp.model.backend").CancelToken()
        started = asyncio.get_running_loop().time()
        try:
            suggestions = await service.inline(parsed, offset, ctx, cancel)
        except asyncio.CancelledError:
            cancel.cancel()
            server.stats.count("inline.cancelled")
            raise
        except Exception as exc:
            if type(exc).__name__ == "Cancelled":  # superseded by a newer request
                server.stats.count("inline.cancelled")
                return empty
            log.exception("inline completion failed")
            return empty
        finally:
            elapsed = (asyncio.get_running_loop().time() - started) * 1000.0
            server.stats.observe("inline_latency", elapsed)
        items: list[lsp.InlineCompletionItem] = []
        for sugg in suggestions or []:
            text = getattr(sugg, "text", None)
            if not isinstance(text, str) or not text:
                continue
            start = getattr(sugg, "start", offset)
            end = getattr(sugg, "end", offset)
            if not isinstance(start, int) or not isinstance(end, int):
                start = end = offset
            items.append(
                lsp.InlineCompletionItem(
                    insert_text=text,
                    range=lsp.Range(
                        start=_position(doc, line, start), end=_position(doc, line, end)
                    ),
                )
            )
        return lsp.InlineCompletionList(items=items)


def _position(doc: Any, line: Any, offset: int) -> lsp.Position:
    """Client position of a ``str`` offset (fast path on the cursor line)."""
    if line.start <= offset <= line.start + len(line.text):
        units = doc.position_codec.client_num_units(line.text[: offset - line.start])
        return lsp.Position(line=line.number, character=units)
    pos: lsp.Position = doc.client_position_at_offset(offset)
    return pos


def _construct(cls: Any, server: GlmServer) -> Any:
    """Build ``ModelService`` with whichever of our objects its constructor asks for."""

    def progress(message: str, percentage: int | None = None) -> None:
        log.info("model: %s%s", message, "" if percentage is None else f" ({percentage}%)")

    available: dict[str, Any] = {
        "settings": server.settings,
        "model_settings": server.settings.model,
        "stores": server.stores,
        "store": server.stores.results if server.stores is not None else None,
        "progress": progress,
        "on_progress": progress,
    }
    params = inspect.signature(cls).parameters
    kwargs = {name: value for name, value in available.items() if name in params}
    service = cls(**kwargs)
    start = getattr(service, "start", None)
    if callable(start):
        result = start()
        if inspect.isawaitable(result):
            server.spawn(result)
    return service
