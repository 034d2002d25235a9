"""GhostService: from a cursor to ghost text and model items, without blocking anything.

One service per model load. It owns the backend and its ``ModelWorker`` (one owner thread),
loads the model in the background and reports progress, and answers two questions:

- ``inline``: ghost text at the cursor (LINE or BLOCK, see ``mode.py``);
- ``candidates``: the same generation read as dropdown items (``.items()``, a whole call).

A request goes, in this order: mode → typed-ahead reuse (``results.py``) → prompt
(``request.py``, in a thread) → result cache → the worker (newest wins; an identical prompt
already generating is shared, not repeated) → post-processing (``postprocess.py``, in a thread) →
suggestions (``suggestions.py``). Superseded requests answer ``[]`` and count as cancelled. The
asyncio loop only awaits futures.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.cache import Stores
from glm_lsp.completion.candidates import Candidate
from glm_lsp.config import Settings
from glm_lsp.ghost.mode import Mode, choose_mode
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.postprocess import clean
from glm_lsp.ghost.prompt import TokenCounter
from glm_lsp.ghost.references import References
from glm_lsp.ghost.request import PreparedRequest, RequestInputs, prepare, template_of
from glm_lsp.ghost.results import ResultCache, TypeAhead
from glm_lsp.ghost.suggestions import InlineSuggestion, candidate_from_text
from glm_lsp.model.backend import CancelToken, Generation, ModelBackend
from glm_lsp.model.loading import (
    EMBEDDED,
    NoModel,
    NotConfigured,
    choose_model,
    make_backend,
    model_identity,
)
from glm_lsp.model.worker import Cancelled, ModelWorker
from glm_lsp.syntax.context import CursorContext
from glm_lsp.syntax.parse import ParsedDocument

log = logging.getLogger(__name__)

Report = Callable[[str, "int | None"], None]
Notify = Callable[[str], None]


class GhostService:
    """See the module doc. Construct, ``start()``, then ``await inline(...)``."""

    def __init__(
        self,
        settings: Settings,
        index: WorkspaceIndex | None = None,
        stores: Stores | None = None,
        progress: Report | None = None,
        on_error: Notify | None = None,
        backend: ModelBackend | None = None,
        stable_layout: bool = True,
    ) -> None:
        self.settings = settings
        self.index = index
        self._progress_cb = progress
        self._error_cb = on_error
        self._loop: asyncio.AbstractEventLoop | None = None
        self.state = "idle"  # idle | loading | ready | failed | unconfigured | disabled
        self.error: str | None = None
        self.model_path: Path | None = None
        self.embedded = False
        """The model is the embedded default (nothing configured): it serves ghost text only."""
        self._backend = backend
        self.stable_layout = stable_layout  # False: the naive layout (benchmarks only)
        self._worker: ModelWorker | None = None
        self._loaded = threading.Event()
        self._prepare_lock = threading.Lock()
        self._counter = TokenCounter(None)
        self.cache = ResultCache(stores.results if stores is not None else None)
        self.typeahead = TypeAhead()
        self.references = References(index)
        self._inflight: dict[str, asyncio.Future[Generation]] = {}
        self._seq = {"inline": 0, "candidates": 0}
        self.counts = {
            "requests": 0,
            "cancelled": 0,
            "suggestions": 0,
            "typeahead_hits": 0,
            "generations": 0,
            "shared": 0,
            "prompt_tokens_evaluated": 0,
            "prompt_tokens_reused": 0,
            "generated_tokens": 0,
            "errors": 0,
        }
        self._last_error: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Begin loading in the background; returns at once."""
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        if self.state != "idle":
            return
        backend = self._backend
        if backend is None:
            try:
                backend, self.model_path = make_backend(self.settings)
            except NotConfigured as exc:
                self.state = "unconfigured"  # not an error: editors show "off", not a failure
                self.error = str(exc)
                self._loaded.set()
                return
            except NoModel as exc:
                if str(exc):
                    self._fail(str(exc))
                else:
                    self.state = "disabled"
                    self._loaded.set()
                return
            self.embedded = (
                self.settings.model.backend == "llama"
                and choose_model(self.settings).source == EMBEDDED
            )
        self._backend = backend
        self.state = "loading"
        self._report("loading model " + (self.model_path.name if self.model_path else ""), 0)
        self._worker = ModelWorker(backend)
        self._worker.load().add_done_callback(self._load_done)

    def use_index(self, index: WorkspaceIndex) -> None:
        """A re-index replaced the workspace index: imported definitions come from the new one."""
        self.index = index
        self.references.use_index(index)

    def _fail(self, message: str) -> None:
        self.state = "failed"
        self.error = message
        log.error("model unavailable: %s (static completion continues)", message)
        self._dispatch(self._error_cb, message)
        self._report("model unavailable", None)  # the server ends its progress on this text
        # Last: the callbacks are queued on the loop before wait_loaded() can resume after them.
        self._loaded.set()

    def _load_done(self, future: concurrent.futures.Future[None]) -> None:
        exc = future.exception()
        if exc is not None:
            self._fail(str(exc) or type(exc).__name__)
            return
        backend = self._backend
        if backend is not None and backend.name != "remote":
            # Off the owner thread on purpose: counting must not wait for a generation. The
            # backend guards ``tokenize`` against a concurrent close (see LlamaBackend.close).
            self._counter = TokenCounter(backend.tokenize)
        self.state = "ready"
        self._report("model loaded", 100)
        self._loaded.set()  # after the report, as in _fail

    def _report(self, message: str, percentage: int | None) -> None:
        cb = self._progress_cb
        if cb is not None:
            self._dispatch(cb, message, percentage)

    def _dispatch(self, fn: Callable[..., None] | None, *args: object) -> None:
        """Run a user callback on the event loop's thread when there is one (load callbacks
        fire on the worker thread; LSP notifications must be sent from the loop)."""
        if fn is None:
            return
        call = functools.partial(fn, *args)

        def safe() -> None:
            try:
                call()
            except Exception:
                log.exception("model progress callback failed")

        loop = self._loop
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if loop is not None and loop is not current and loop.is_running():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(safe)
                return
        safe()

    async def wait_loaded(self, timeout: float | None = None) -> bool:
        """True once the model is ready (False on failure or timeout)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._loaded.wait, timeout)
        return self.state == "ready"

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def close(self) -> None:
        """Cancel, unload and stop the owner thread; blocks up to seconds (call it off the
        event loop)."""
        worker, self._worker = self._worker, None
        self.state = "disabled"
        if worker is not None:
            worker.close()
        self._loaded.set()

    # -- requests ----------------------------------------------------------------------------

    def note_edit(self, path: str, text: str, offset: int) -> None:
        """Recently edited files feed the prompt's references (call on didChange)."""
        self.references.note_edit(path, text, offset)

    async def inline(
        self,
        doc: ParsedDocument,
        offset: int,
        ctx: CursorContext,
        cancel: CancelToken | None = None,
        outcome: GhostOutcome | None = None,
    ) -> list[InlineSuggestion]:
        """Ghost text at ``offset`` (``[]`` when there is none, or when superseded); what
        happened on the way is written into ``outcome``."""
        out = outcome if outcome is not None else GhostOutcome()
        self.counts["requests"] += 1
        mode = self._mode(ctx, out)
        if mode is None:
            return []
        ahead = self.typeahead.lookup(doc.uri, doc.text, offset)
        if ahead is not None:
            self.counts["typeahead_hits"] += 1
            self.counts["suggestions"] += 1
            out.typeahead_hit, out.text = True, ahead[1]
            out.stage("typeahead")
            return [InlineSuggestion(ahead[1], offset, offset)]
        text = await self._suggest(doc, offset, ctx, mode, "inline", cancel, out)
        if text is None:
            return []
        self.typeahead.remember(doc.uri, doc.text, offset, text)
        self.counts["suggestions"] += 1
        return [InlineSuggestion(text, offset, offset)]

    def _mode(self, ctx: CursorContext, out: GhostOutcome) -> Mode | None:
        out.model = self.model_name
        if not self.ready:
            out.none(f"model {self.state}")
            return None
        mode = choose_mode(ctx, self.settings.inline.mode)
        out.stage("mode")
        if mode is None:
            out.none("no mode here (comment, string, mid-word or code after the cursor)")
            return None
        out.mode = mode.value
        return mode

    @property
    def model_name(self) -> str:
        """The model's name for people: its file name, or the backend's (remote)."""
        if self.model_path is not None:
            return self.model_path.name
        return self._backend.name if self._backend is not None else ""

    async def candidates(
        self,
        doc: ParsedDocument,
        offset: int,
        ctx: CursorContext,
        cancel: CancelToken | None = None,
        outcome: GhostOutcome | None = None,
    ) -> list[Candidate]:
        """The model's continuation of the current token as dropdown items (multi-token: a
        member with its call, ``items()``). Shares the ghost text's generation when the
        prompt is the same (it is, in the stable layout)."""
        out = outcome if outcome is not None else GhostOutcome(channel="candidates")
        if self.settings.completion.model_items <= 0 or self.embedded:
            # The embedded glm-code-tiny serves ghost text only: in the dropdown its items were
            # measured to lower top-1 (0.570 -> 0.551 on the held-out ranking benchmark).
            out.none("model items are off for this model")
            return []
        mode = self._mode(ctx, out)
        if mode is None:
            return []
        ahead = self.typeahead.lookup(doc.uri, doc.text, offset)
        if ahead is not None:
            text: str | None = ahead[1]
            out.typeahead_hit = True
        else:
            text = await self._suggest(doc, offset, ctx, mode, "candidates", cancel, out)
            if text is not None:
                self.typeahead.remember(doc.uri, doc.text, offset, text)
        if text is None:
            return []
        item = candidate_from_text(ctx, text)
        return [item] if item is not None else []

    async def _suggest(
        self,
        doc: ParsedDocument,
        offset: int,
        ctx: CursorContext,
        mode: Mode,
        channel: str,
        cancel: CancelToken | None,
        out: GhostOutcome,
    ) -> str | None:
        self._seq[channel] += 1
        seq = self._seq[channel]
        loop = asyncio.get_running_loop()
        try:
            prep = await loop.run_in_executor(None, self._prepare, doc, offset, ctx, mode)
        except Exception:
            log.exception("building the model prompt failed")
            out.none("building the prompt failed")
            return None
        out.stage("prompt")
        if seq != self._seq[channel] or (cancel is not None and cancel.cancelled):
            self.counts["cancelled"] += 1  # a newer request came while we built the prompt
            out.none("superseded while the prompt was built")
            return None
        raw = self.cache.get(prep.key)
        out.cache_hit = raw is not None
        if raw is None:
            gen = await self._generate(prep, out)
            out.stage("model")
            if gen is None:
                self.counts["cancelled"] += 1
                out.why_none = out.why_none or "superseded or cancelled during generation"
                return None
            raw = gen.text
            if gen.finish_reason == "length" and mode is Mode.BLOCK and "\n" in raw.rstrip():
                raw = raw[: raw.rstrip().rfind("\n")]  # the last line was cut mid-way
            if gen.finish_reason in ("stop", "length"):
                self.cache.put(prep.key, raw)
        out.raw = raw
        try:
            text = await loop.run_in_executor(None, clean, raw, prep.post, out.steps)
        except Exception:
            log.exception("post-processing failed")
            text = None
        out.stage("postprocess")
        out.text = text
        if text is None:
            out.why_none = "post-processing rejected it" + (
                f" ({out.steps[-1].rule})" if out.steps else ""
            )
        return text

    async def _generate(self, prep: PreparedRequest, out: GhostOutcome) -> Generation | None:
        worker = self._worker
        if worker is None:
            return None
        shared = self._inflight.get(prep.key)
        if shared is not None:
            self.counts["shared"] += 1
            out.shared = True
            try:
                gen: Generation = await asyncio.shield(shared)
                _note_generation(out, gen)
                return gen
            except (Cancelled, asyncio.CancelledError):
                return None
            except Exception as exc:
                self._request_failed(exc)
                return None
        ticket = worker.submit(prep.request)
        future = asyncio.ensure_future(ticket.wait())
        self._inflight[prep.key] = future
        try:
            gen = await asyncio.shield(future)
        except Cancelled:
            return None
        except asyncio.CancelledError:
            ticket.cancel("request cancelled")
            raise
        except Exception as exc:
            self._request_failed(exc)
            return None
        finally:
            if self._inflight.get(prep.key) is future:
                del self._inflight[prep.key]
        _note_generation(out, gen)
        self.counts["generations"] += 1
        self.counts["prompt_tokens_evaluated"] += gen.prompt_tokens - gen.prompt_tokens_reused
        self.counts["prompt_tokens_reused"] += gen.prompt_tokens_reused
        self.counts["generated_tokens"] += gen.generated_tokens
        return gen

    def _request_failed(self, exc: Exception) -> None:
        """A generation failed (remote server down, backend error): no suggestion this time;
        logged once per distinct message, so a dead server does not flood the log."""
        self.counts["errors"] += 1
        message = str(exc) or type(exc).__name__
        if message != self._last_error:
            self._last_error = message
            log.warning("model request failed: %s", message)

    def _prepare(
        self, doc: ParsedDocument, offset: int, ctx: CursorContext, mode: Mode
    ) -> PreparedRequest:
        """Prompt, request and post-processing inputs (runs in a thread, serialized)."""
        backend = self._backend
        inputs = RequestInputs(
            settings=self.settings,
            backend=backend,
            model_id=model_identity(self.model_path) + (backend.name if backend else ""),
            counter=self._counter,
            references=self.references,
            index=self.index,
            stable_layout=self.stable_layout,
        )
        with self._prepare_lock:
            return prepare(inputs, doc, offset, ctx, mode)

    def explain(self, doc: ParsedDocument, offset: int, ctx: CursorContext) -> dict[str, Any]:
        """What the model would see at ``offset`` (for ``glm-lsp complete --explain``); builds
        the prompt without generating. Safe before the model is loaded (estimated counts)."""
        mode = choose_mode(ctx, self.settings.inline.mode)
        out: dict[str, Any] = {"mode": mode.value if mode is not None else None}
        if mode is None:
            return out
        prep = self._prepare(doc, offset, ctx, mode)
        out.update(
            template=template_of(self._backend).name,
            prompt=prep.request.prompt,
            max_tokens=prep.request.max_tokens,
            stop_strings=list(prep.request.stop_strings),
            cache_key=prep.key,
            prompt_tokens=self._counter.count(prep.request.prompt),
        )
        return out

    # -- stats -------------------------------------------------------------------------------

    def stats(self) -> dict[str, dict[str, Any]]:
        """Sections of ``glm-lsp.stats``: ``model``, ``inline``, ``cache``."""
        info: dict[str, Any] = {}
        if self._backend is not None:
            with contextlib.suppress(Exception):
                info = dict(self._backend.info())
        c = self.counts
        return {
            "model": {
                "state": self.state,
                "loaded": self.ready,
                "error": self.error,
                "backend": info.get("backend", self.settings.model.backend),
                "path": info.get("path", str(self.model_path) if self.model_path else None),
                "gpu_layers": info.get("gpu_layers"),
                "template": info.get("template"),
                "generations": c["generations"],
                "prompt_tokens_evaluated": c["prompt_tokens_evaluated"],
                "prompt_tokens_reused": c["prompt_tokens_reused"],
                "generated_tokens": c["generated_tokens"],
            },
            "inline": {
                "requests": c["requests"],
                "cancelled": c["cancelled"],
                "suggestions": c["suggestions"],
                "typeahead_hits": c["typeahead_hits"],
                "shared": c["shared"],
                "errors": c["errors"],
            },
            "cache": {"hits": self.cache.hits, "misses": self.cache.misses},
        }


def _note_generation(out: GhostOutcome, gen: Generation) -> None:
    out.prompt_tokens = gen.prompt_tokens
    out.prompt_tokens_reused = gen.prompt_tokens_reused
    out.generated_tokens = gen.generated_tokens
    out.finish_reason = gen.finish_reason
