"""One configured model: its backend, its owner thread, its load, and what it costs.

Each local model has a slot of its own, so a BLOCK generation on a large model never holds up a
LINE request on a small one (each slot's ``ModelWorker`` is a separate owner thread with its own
KV cache). A slot loads lazily on first use, reports progress, and learns its prefill and decode
speeds from the generations it runs; the router predicts a request's latency from them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from glm_lsp.config import Settings
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.prompt import TokenCounter
from glm_lsp.ghost.request import PreparedRequest
from glm_lsp.ghost.results import TypeAhead
from glm_lsp.model.backend import Generation, ModelBackend
from glm_lsp.model.loading import (
    EMBEDDED,
    NoModel,
    NotConfigured,
    choose_model,
    make_backend,
    model_identity,
)
from glm_lsp.model.worker import Cancelled, ModelWorker

log = logging.getLogger(__name__)

Report = Callable[[str, "int | None"], None]
Notify = Callable[[str], None]

RETRY_S = 30.0
"""A model that failed to load is tried again after this."""
BACKOFF_S = (2.0, 30.0)
"""A model whose requests fail (a server that went down) is skipped for 2 s, doubling up to 30 s,
while its other requests go to the next model of the route; a success resets it."""
_EMA = 0.3  # weight of the newest measurement in the learned speeds


@dataclass
class SlotCounts:
    requests: int = 0
    answered: int = 0
    skipped_over_budget: int = 0
    skipped_not_ready: int = 0
    generations: int = 0
    shared: int = 0
    errors: int = 0
    generated_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    prompt_tokens_reused: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def observe(self, ms: float) -> None:
        self.latencies_ms.append(ms)
        del self.latencies_ms[:-200]  # the recent past is what p50 should describe


class ModelSlot:
    """One model; construct, ``start()`` (or let the router start it on first use)."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        backend: ModelBackend | None = None,
        progress: Report | None = None,
        on_error: Notify | None = None,
    ) -> None:
        self.name = name
        self.settings = settings  # whose ``model`` section describes this model
        self.backend = backend
        self.progress = progress
        self._error_cb = on_error
        self._loop: asyncio.AbstractEventLoop | None = None
        self.state = "idle"  # idle | loading | ready | failed | unconfigured | disabled
        self.error: str | None = None
        self.model_path: Path | None = None
        self.embedded = False
        """The embedded default model (nothing configured): it serves ghost text only."""
        self.worker: ModelWorker | None = None
        self.loaded = threading.Event()
        self.counter = TokenCounter(None)
        self.typeahead = TypeAhead()
        self.counts = SlotCounts()
        self.inflight: dict[str, asyncio.Future[Generation]] = {}
        self.last_used = 0.0
        self.retry_at = 0.0
        self._backoff = 0.0
        self.prefill_tps = 0.0  # learned prompt tokens evaluated per second (0: unknown)
        self.decode_tps = 0.0  # learned generated tokens per second (0: unknown)
        self.elapsed_ms = 0.0  # learned whole-request time, for backends that do not split it
        self.generated = 0.0  # learned tokens per answer (a line usually ends before the cap)
        self.last_prompt = ""
        self._last_error: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def local(self) -> bool:
        return self.backend is None or self.backend.name != "remote"

    @property
    def display_name(self) -> str:
        """For people: the configured name, with the model file when it says more."""
        return self.name

    @property
    def identity(self) -> str:
        """Result-cache identity: which model (file size and mtime too) answered."""
        backend = self.backend.name if self.backend is not None else ""
        return f"{self.name}:{model_identity(self.model_path)}:{backend}"

    def start(self) -> None:
        """Begin loading in the background; returns at once."""
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        if self.state not in ("idle", "failed"):
            return
        self.loaded.clear()
        self.error = None
        backend = self.backend
        if backend is None:
            try:
                backend, self.model_path = make_backend(self.settings)
            except NotConfigured as exc:
                self.state = "unconfigured"  # not an error: editors show "off", not a failure
                self.error = str(exc)
                self.loaded.set()
                return
            except NoModel as exc:
                if str(exc):
                    self._fail(str(exc))
                else:
                    self.state = "disabled"
                    self.loaded.set()
                return
            self.embedded = (
                self.settings.model.backend == "llama"
                and choose_model(self.settings).source == EMBEDDED
            )
        self.backend = backend
        self.state = "loading"
        self._report("loading model " + (self.model_path.name if self.model_path else ""), 0)
        self.worker = ModelWorker(backend, name=f"glm-lsp-model-{self.name}")
        self.worker.load().add_done_callback(self._load_done)

    def _fail(self, message: str) -> None:
        self.state = "failed"
        self.error = message
        self.retry_at = time.monotonic() + RETRY_S
        log.error("model %s unavailable: %s (static completion continues)", self.name, message)
        self._dispatch(self._error_cb, message)
        self._report("model unavailable", None)  # the server ends its progress on this text
        # Last: the callbacks are queued on the loop before wait_loaded() can resume after them.
        self.loaded.set()

    def _load_done(self, future: concurrent.futures.Future[None]) -> None:
        exc = future.exception()
        if exc is not None:
            self._fail(str(exc) or type(exc).__name__)
            return
        backend = self.backend
        if backend is not None and backend.name != "remote":
            # Off the owner thread on purpose: counting must not wait for a generation. The
            # backend guards ``tokenize`` against a concurrent close (see LlamaBackend.close).
            self.counter = TokenCounter(backend.tokenize)
        self.state = "ready"
        self._report("model loaded", 100)
        self.loaded.set()  # after the report, as in _fail

    def _report(self, message: str, percentage: int | None) -> None:
        cb = self.progress
        if cb is not None:
            self._dispatch(cb, message, percentage)

    def _dispatch(self, fn: Callable[..., None] | None, *args: object) -> None:
        """Run a callback on the event loop's thread when there is one (load callbacks fire on
        the worker thread; LSP notifications must be sent from the loop)."""
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
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.loaded.wait, timeout)
        return self.ready

    def unload(self) -> None:
        """Free the model (LRU eviction); the next use loads it again. Blocks while the owner
        thread finishes: call it off the event loop."""
        worker, self.worker = self.worker, None
        self.state = "idle"
        self.loaded.clear()
        self.last_prompt = ""  # its KV cache goes with it
        if worker is not None:
            worker.close()

    def close(self) -> None:
        """Cancel, unload and stop the owner thread; blocks up to seconds (off the loop)."""
        worker, self.worker = self.worker, None
        self.state = "disabled"
        if worker is not None:
            worker.close()
        self.loaded.set()

    # -- cost --------------------------------------------------------------------------------

    def predict_ms(self, prompt: str, max_tokens: int) -> float | None:
        """Predicted time for ``prompt``: the tokens its KV cache would not cover (the part
        after the common start with the previous prompt) at the learned prefill speed, plus
        the tokens it usually generates (at most ``max_tokens``) at the learned decode speed (a
        remote server: its learned time per request). ``None`` until measured: an unmeasured
        model is tried, which measures it."""
        if self.prefill_tps <= 0 or self.decode_tps <= 0:
            return self.elapsed_ms or None
        common = len(_common_prefix(self.last_prompt, prompt))
        new_chars = len(prompt) - common
        total = max(1, self.counter.count(prompt))
        new_tokens = total * new_chars / max(1, len(prompt))
        generated = min(max_tokens, self.generated) if self.generated > 0 else max_tokens
        return 1000.0 * (new_tokens / self.prefill_tps + generated / self.decode_tps)

    def learn(self, gen: Generation, prompt: str) -> None:
        self.last_prompt = prompt
        if not gen.cancelled:
            self.generated = _ema(self.generated, float(max(1, gen.generated_tokens)))
        if gen.prefill_s <= 0:  # a remote server: no split between prefill and decode
            self.elapsed_ms = _ema(self.elapsed_ms, gen.elapsed_s * 1000.0)
            return
        evaluated = gen.prompt_tokens - gen.prompt_tokens_reused
        decode_s = max(1e-4, gen.elapsed_s - gen.prefill_s)
        if evaluated > 16 and gen.prefill_s > 0:
            self.prefill_tps = _ema(self.prefill_tps, evaluated / gen.prefill_s)
        if gen.generated_tokens > 1:
            self.decode_tps = _ema(self.decode_tps, gen.generated_tokens / decode_s)

    # -- generation --------------------------------------------------------------------------

    async def generate(self, prep: PreparedRequest, out: GhostOutcome) -> Generation | None:
        """The generation for ``prep`` (shared with an identical one already running); None when
        superseded, cancelled or failed (failures are logged once per distinct message)."""
        worker = self.worker
        if worker is None:
            return None
        self.last_used = time.monotonic()
        shared = self.inflight.get(prep.key)
        if shared is not None:
            self.counts.shared += 1
            out.shared = True
            try:
                gen: Generation = await asyncio.shield(shared)
            except (Cancelled, asyncio.CancelledError):
                return None
            except Exception as exc:
                self._request_failed(exc)
                return None
            _note_generation(out, gen)
            return gen
        ticket = worker.submit(prep.request)
        future = asyncio.ensure_future(ticket.wait())
        # When the request is cancelled, nobody awaits the generation any more; its outcome
        # (Cancelled) must still be read, or asyncio logs "exception was never retrieved".
        future.add_done_callback(_retrieve)
        self.inflight[prep.key] = future
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
            if self.inflight.get(prep.key) is future:
                del self.inflight[prep.key]
        _note_generation(out, gen)
        self._backoff = 0.0
        self.learn(gen, prep.request.prompt)
        c = self.counts
        c.generations += 1
        c.prompt_tokens_evaluated += gen.prompt_tokens - gen.prompt_tokens_reused
        c.prompt_tokens_reused += gen.prompt_tokens_reused
        c.generated_tokens += gen.generated_tokens
        return gen

    def _request_failed(self, exc: Exception) -> None:
        """A generation failed (remote server down, backend error): no suggestion this time.
        The router skips this model for a while (:data:`BACKOFF_S`)."""
        self.counts.errors += 1
        low, high = BACKOFF_S
        self._backoff = min(high, self._backoff * 2) if self._backoff else low
        self.retry_at = time.monotonic() + self._backoff
        message = str(exc) or type(exc).__name__
        if message != self._last_error:
            self._last_error = message
            log.warning("model %s request failed: %s", self.name, message)


def _retrieve(future: asyncio.Future[Generation]) -> None:
    if not future.cancelled():
        future.exception()


def _note_generation(out: GhostOutcome, gen: Generation) -> None:
    out.prompt_tokens = gen.prompt_tokens
    out.prompt_tokens_reused = gen.prompt_tokens_reused
    out.generated_tokens = gen.generated_tokens
    out.finish_reason = gen.finish_reason


def _ema(old: float, new: float) -> float:
    return new if old <= 0 else (1 - _EMA) * old + _EMA * new


def _common_prefix(a: str, b: str) -> str:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return a[:i]
