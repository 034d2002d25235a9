"""The server's side of the model: start/stop ``ModelService``, answer inline completion.

``glm_lsp.model`` is optional at run time (``model.backend = "none"``, or a build without
llama.cpp), so it is imported lazily and every call into it is guarded: a model failure costs
ghost text, never the dropdown. Until a service exists, inline completion answers an empty list.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from glm_lsp.completion.candidates import Candidate
from glm_lsp.documents import cursor_line
from glm_lsp.progress import Progress
from glm_lsp.syntax.context import build_context

if TYPE_CHECKING:
    from glm_lsp.config import Settings
    from glm_lsp.server import GlmServer
    from glm_lsp.syntax.context import CursorContext
    from glm_lsp.syntax.parse import ParsedDocument

log = logging.getLogger(__name__)

ITEMS_BUDGET_S = 0.02
"""How long the dropdown waits for model items before going out without them."""

NO_MODEL_MESSAGE = (
    "glm-lsp: no model configured and no embedded default model; completion comes from static "
    "analysis. For model suggestions run `glm-lsp models pull codegeex4-all-9b` and set "
    "glmLsp.model.name to codegeex4-all-9b, or set glmLsp.model.path to a GGUF file."
)
"""Shown once per session (info, not an error) when nothing is configured and the catalog has
no embedded default (with one, the default settings load it: ``loading.make_backend``)."""


class ModelBridge:
    """Owns the optional ``ModelService`` of one server session."""

    def __init__(self, server: GlmServer) -> None:
        self._server = server
        self._service: Any = None
        self._progress: Progress | None = None
        self._last_progress: tuple[str, int | None] | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self._shown: set[str] = set()  # messages already shown: each one once per session
        self._off = "idle"  # model.state in the stats while there is no service

    @property
    def service(self) -> Any:
        return self._service

    @property
    def ready(self) -> bool:
        return bool(getattr(self._service, "ready", False))

    def start(self) -> None:
        """Create the service for the current settings; it loads the model in the background."""
        server = self._server
        if server.settings.model.backend == "none":
            self._off = "disabled"
            log.info("model disabled (model.backend = none)")
            return
        if _nothing_configured(server.settings) and not _has_embedded_default():
            self._off = "unconfigured"  # not an error: editors show "off", not a failure
            log.info("no model configured and no embedded default; static completion only")
            self._show_once(lsp.MessageType.Info, NO_MODEL_MESSAGE)
            return
        try:
            model_service = importlib.import_module("glm_lsp.model.inline").ModelService
        except (ImportError, AttributeError) as exc:
            self._off = "unavailable"
            log.info("model support not available: %s", exc)
            return
        try:
            self._service = model_service(
                server.settings,
                index=server.index,
                stores=server.stores,
                progress=self._on_progress,
                on_error=self._on_error,
            )
            server.spawn(self._begin_progress())
            self._service.start()
        except Exception:
            log.exception("could not start the model service")
            self._service = None

    async def _begin_progress(self) -> None:
        progress = await Progress.start(self._server, "glm-lsp: model")
        self._progress = progress
        if self._last_progress is not None:
            self._on_progress(*self._last_progress)

    def _on_progress(self, message: str, percentage: int | None) -> None:
        """ModelService's progress callback (called on the event loop)."""
        self._last_progress = (message, percentage)
        log.info("model: %s", message)
        progress = self._progress
        if progress is None:
            return  # the token is still being created; replayed by _begin_progress
        if message in ("model loaded", "model unavailable"):
            progress.end(message)
        else:
            progress.message(message, percentage, force=True)

    def _on_error(self, message: str) -> None:
        self._show_once(
            lsp.MessageType.Warning,
            f"glm-lsp: {message}. Completion from static analysis keeps working.",
        )

    def _show_once(self, kind: lsp.MessageType, text: str) -> None:
        """A restart after an unrelated settings change must not pop the same message again."""
        if text in self._shown:
            log.info("%s", text)
            return
        self._shown.add(text)
        self._server.show(kind, text)

    def restart(self) -> None:
        self.close()
        self.start()

    def update_settings(self, settings: Settings) -> None:
        """Settings that leave the model as it is apply to the running service in place.

        Reloading a multi-GB model because the user toggled ghost text or its length would
        take seconds to minutes; the service reads these settings per request.
        """
        if self._service is not None:
            self._service.settings = settings

    def close(self) -> None:
        service, self._service = self._service, None
        if self._progress is not None:
            self._progress.end()
            self._progress = None
        self._last_progress = None
        if service is None:
            return
        try:
            service.close()
        except Exception:
            log.exception("closing the model service failed")

    def note_edit(self, path: str | None, text: str, offset: int) -> None:
        service = self._service
        if service is None or not path:
            return
        try:
            service.note_edit(path, text, offset)
        except Exception:
            log.exception("model note_edit failed")

    def stats(self) -> dict[str, Any]:
        """Sections for ``glm-lsp.stats`` (``model``, ``inline``, ``cache``)."""
        service = self._service
        if service is None:
            return {"model": {"state": self._off}}
        try:
            raw = service.stats()
        except Exception:
            log.exception("model stats failed")
            return {}
        if not isinstance(raw, dict):
            return {}
        return {k: v for k, v in raw.items() if isinstance(v, dict)}

    async def candidates(
        self, doc: ParsedDocument, ctx: CursorContext
    ) -> tuple[list[Candidate], bool]:
        """Model items for the dropdown if they arrive within :data:`ITEMS_BUDGET_S`.

        Returns ``(candidates, pending)``: when the model is slower than the budget the static
        list goes out at once (marked incomplete, so the editor asks again as the user types)
        and the generation finishes in the background, warming the model's result cache.
        """
        service = self._service
        if service is None or not self.ready or self._server.settings.completion.model_items <= 0:
            return [], False
        if _nothing_configured(self._server.settings):
            # The embedded glm-code-tiny serves ghost text only: in the dropdown its items were
            # measured to lower top-1 (0.570 -> 0.551 on the held-out ranking benchmark) and the
            # wait for them would add up to ITEMS_BUDGET_S to every list.
            return [], False
        cancel = importlib.import_module("glm_lsp.model.backend").CancelToken()
        task = asyncio.ensure_future(service.candidates(doc, ctx.offset, ctx, cancel))
        done, _ = await asyncio.wait({task}, timeout=ITEMS_BUDGET_S)
        if task not in done:
            self._pending.add(task)
            task.add_done_callback(self._finished)
            return [], True
        return _result(task), False

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._pending.discard(task)
        _result(task)

    async def inline(self, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        """Ghost text at the cursor; an empty list whenever there is none to give."""
        started = time.perf_counter()
        try:
            return await self._inline(params)
        finally:
            self._server.stats.observe("inline", (time.perf_counter() - started) * 1000.0)

    async def _inline(self, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        server = self._server
        empty = lsp.InlineCompletionList(items=[])
        service = self._service
        if service is None or not server.settings.inline.enabled:
            return empty
        uri = params.text_document.uri
        parsed = server.trees.get(uri)
        if parsed is None:
            return empty
        doc = server.workspace.get_text_document(uri)
        offset, line = cursor_line(doc, params.position, server.line_index(uri))
        ctx = build_context(parsed.spec, parsed.text, offset, parsed.tree)
        cancel = importlib.import_module("glm_lsp.model.backend").CancelToken()
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


def _nothing_configured(settings: Settings) -> bool:
    """The default set-up: the in-process backend with no path, no env variable and no name."""
    model = settings.model
    return (
        model.backend == "llama"
        and not model.path
        and not model.name
        and not os.environ.get("GLM_LSP_MODEL")
    )


def _has_embedded_default() -> bool:
    """Whether the catalog names an embedded default model (``default = true``).

    With one, unconfigured settings go to ``ModelService``, which loads it or, when its file is
    missing or corrupt, fails with a message that says so. Without one (an installation without
    the catalog) the old "no model configured" hint stands.
    """
    try:
        loading = importlib.import_module("glm_lsp.model.loading")
    except ImportError:
        return False
    return loading.embedded_default() is not None


def _position(doc: Any, line: Any, offset: int) -> lsp.Position:
    """Client position of a ``str`` offset (fast path on the cursor line)."""
    if line.start <= offset <= line.start + len(line.text):
        units = doc.position_codec.client_num_units(line.text[: offset - line.start])
        return lsp.Position(line=line.number, character=units)
    pos: lsp.Position = doc.client_position_at_offset(offset)
    return pos


def _result(task: asyncio.Future[Any]) -> list[Candidate]:
    """The task's candidates; ``[]`` when it failed or was cancelled (logged, never raised)."""
    if task.cancelled():
        return []
    exc = task.exception()
    if exc is not None:
        log.warning("model candidates failed: %s", exc)
        return []
    value = task.result()
    return [c for c in value if isinstance(c, Candidate)] if isinstance(value, list) else []
