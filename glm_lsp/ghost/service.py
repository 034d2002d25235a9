"""GhostService: from a cursor to ghost text and model items, without blocking anything.

One service per session's model configuration. It holds one :class:`ModelSlot` per configured
model (each with its own owner thread and KV cache) and answers two questions:

- ``inline``: ghost text at the cursor (LINE or BLOCK, see ``mode.py``);
- ``candidates``: the same generation read as dropdown items (``.items()``, a whole call).

A request goes, in this order: mode → route (``route.py``: the rule that matches, the first of
its models that is ready and fits the latency budget) → typed-ahead reuse (``results.py``) →
prompt (``request.py``, in a thread) → result cache → the model's worker (newest wins; an
identical prompt already generating is shared) → post-processing (``postprocess.py``, in a
thread) → suggestions (``suggestions.py``). What happened is written into a ``GhostOutcome``.
Superseded requests answer ``[]``. The asyncio loop only awaits futures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.cache import Stores
from glm_lsp.completion.candidates import Candidate
from glm_lsp.config import Settings
from glm_lsp.ghost.drafts import with_draft
from glm_lsp.ghost.gate import Gate
from glm_lsp.ghost.mode import Mode, choose_mode
from glm_lsp.ghost.models import build_slots, lru_victim, slot_stats
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.postprocess import clean
from glm_lsp.ghost.references import References
from glm_lsp.ghost.request import PreparedRequest, RequestInputs, prepare, template_of
from glm_lsp.ghost.results import ResultCache
from glm_lsp.ghost.route import RouteChoice, RouteRequest, choose, matches, rules_for
from glm_lsp.ghost.secrets import is_secret_file
from glm_lsp.ghost.slot import ModelSlot
from glm_lsp.ghost.suggestions import InlineSuggestion, candidate_from_text
from glm_lsp.model.backend import CancelToken, ModelBackend
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
        backends: Mapping[str, ModelBackend] | None = None,
        progress_for: Callable[[str], Report] | None = None,
    ) -> None:
        """``backend`` stands in for the single model, ``backends`` for named entries (tests,
        benchmarks); otherwise each model's backend is made from its settings at load.
        ``progress`` reports the first model's load; ``progress_for(name)`` gives the report
        callback of a model the router loads later, on first use."""
        self._progress_for = progress_for
        self.settings = settings
        self.index = index
        self.stable_layout = stable_layout  # False: the naive layout (benchmarks only)
        self.cache = ResultCache(stores.results if stores is not None else None)
        self.references = References(index)
        self.gate = Gate(settings.inline.min_confidence)
        self.drafts = True
        """LINE mode: offer the rest of the line found elsewhere in the document when the
        model scores it higher than its own suggestion (``ghost/drafts.py``)."""
        self._prepare_lock = threading.Lock()
        self._seq = {"inline": 0, "candidates": 0}
        self._counts = {"requests": 0, "cancelled": 0, "suggestions": 0, "typeahead_hits": 0}
        self.last_outcomes: dict[str, GhostOutcome] = {}
        """The last ghost-text request's outcome per document (newest 32 documents)."""
        self.last_answer: dict[str, str] = {}
        """The rule and model of the last suggestion shown (status bars show it)."""
        self.slots = build_slots(settings, on_error, backend, backends)
        # The first model reports load progress (it loads at start; others load on first use).
        self.primary = next(iter(self.slots.values()))
        self.primary.progress = progress

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Load the first model in the background (the others load when a route first needs
        them); returns at once."""
        loop = None
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
        for slot in self.slots.values():
            slot._loop = loop
        self._start_slot(self.primary)

    def _start_slot(self, slot: ModelSlot) -> None:
        """Start ``slot``'s load; first unload the least recently used local model when
        ``models.maxLoaded`` would be exceeded (off the loop: unloading joins a thread)."""
        if slot.progress is None and self._progress_for is not None:
            slot.progress = self._progress_for(slot.name)
        victim = lru_victim(self.slots, slot, self.settings.models.max_loaded)
        if victim is not None:
            log.info("unloading model %s (models.maxLoaded)", victim.name)
            threading.Thread(target=victim.unload, daemon=True).start()
        slot.start()

    @property
    def state(self) -> str:
        """``ready`` when any model can answer; else the first model's state."""
        if any(s.ready for s in self.slots.values()):
            return "ready"
        return self.primary.state

    @property
    def error(self) -> str | None:
        return next((s.error for s in self.slots.values() if s.error), None)

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def embedded(self) -> bool:
        """Every model is the embedded default (nothing configured): ghost text only."""
        return all(s.embedded for s in self.slots.values())

    async def wait_loaded(self, timeout: float | None = None) -> bool:
        """True once the first model is ready (False on failure or timeout)."""
        return await self.primary.wait_loaded(timeout)

    def use_index(self, index: WorkspaceIndex) -> None:
        """A re-index replaced the workspace index: imported definitions come from the new one."""
        self.index = index
        self.references.use_index(index)

    def close(self) -> None:
        """Cancel, unload and stop every owner thread; blocks up to seconds (off the loop)."""
        for slot in self.slots.values():
            slot.close()

    @property
    def counts(self) -> dict[str, int]:
        """Request counters and every model's generation counters, summed."""
        out = dict(self._counts)
        for key in ("generations", "shared", "errors", "generated_tokens"):
            out[key] = sum(getattr(s.counts, key) for s in self.slots.values())
        for key in ("prompt_tokens_evaluated", "prompt_tokens_reused"):
            out[key] = sum(getattr(s.counts, key) for s in self.slots.values())
        return out

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
        trigger: str = "invoked",
    ) -> list[InlineSuggestion]:
        """Ghost text at ``offset`` (``[]`` when there is none, or when superseded); what
        happened on the way is written into ``outcome``."""
        out = outcome if outcome is not None else GhostOutcome()
        self._counts["requests"] += 1
        self.last_outcomes[doc.uri] = out  # for glm-lsp.explain: why this (or no) suggestion
        while len(self.last_outcomes) > 32:
            self.last_outcomes.pop(next(iter(self.last_outcomes)))
        text = await self._answer(doc, offset, ctx, cancel, out, trigger, "inline")
        if text is None:
            return []
        self._counts["suggestions"] += 1
        return [InlineSuggestion(text, offset, offset)]

    async def candidates(
        self,
        doc: ParsedDocument,
        offset: int,
        ctx: CursorContext,
        cancel: CancelToken | None = None,
        outcome: GhostOutcome | None = None,
        trigger: str = "automatic",
    ) -> list[Candidate]:
        """The model's continuation of the current token as dropdown items (multi-token: a
        member with its call, ``items()``). Shares the ghost text's generation when the
        prompt is the same (it is, in the stable layout)."""
        out = outcome if outcome is not None else GhostOutcome(channel="candidates")
        if self.settings.completion.model_items <= 0:
            out.none("model items are off (completion.modelItems)")
            return []
        text = await self._answer(doc, offset, ctx, cancel, out, trigger, "items")
        if text is None:
            return []
        item = candidate_from_text(ctx, text)
        return [item] if item is not None else []

    async def _answer(
        self,
        doc: ParsedDocument,
        offset: int,
        ctx: CursorContext,
        cancel: CancelToken | None,
        out: GhostOutcome,
        trigger: str,
        kind: str,
    ) -> str | None:
        if not any(s.state in ("ready", "loading", "idle") for s in self.slots.values()):
            out.none(f"model {self.primary.state}")
            return None
        if doc.path and is_secret_file(doc.path):
            out.none("a secret file (.env, keys, credentials): nothing is sent to a model")
            return None
        mode = choose_mode(ctx, self.settings.inline.mode)
        out.stage("mode")
        if mode is None:
            out.none("no mode here (comment, string, mid-word or code after the cursor)")
            return None
        out.mode = mode.value
        language = doc.spec.name if doc.spec is not None else (doc.language_id or "")
        request = RouteRequest(mode.value.lower(), language, trigger, kind)
        ahead = self._typed_ahead(doc, offset, request, out)
        if ahead is not None:
            return ahead
        channel = "inline" if kind == "inline" else "candidates"
        self._seq[channel] += 1
        seq = self._seq[channel]
        loop = asyncio.get_running_loop()
        try:
            routed = await loop.run_in_executor(
                None, self._route_and_prepare, doc, offset, ctx, mode, request
            )
        except Exception:
            log.exception("building the model prompt failed")
            out.none("building the prompt failed")
            return None
        out.stage("prompt")
        if routed is None:
            out.none("no route for this request (route.rules)")
            return None
        choice, prep = routed
        out.route, out.skipped = choice.rule, list(choice.skipped)
        slot = choice.slot
        if slot is None or prep is None:
            out.none("no model ready within the budget: " + _skips(choice))
            return None
        out.model = slot.name
        if kind == "items" and slot.embedded:
            # The embedded glm-code-tiny serves ghost text only: in the dropdown its items were
            # measured to lower top-1 (0.570 -> 0.551 on the held-out ranking benchmark).
            out.none("model items are off for the embedded model")
            return None
        if seq != self._seq[channel] or (cancel is not None and cancel.cancelled):
            self._counts["cancelled"] += 1  # a newer request came while we built the prompt
            out.none("superseded while the prompt was built")
            return None
        text = await self._generate_and_clean(slot, prep, mode, out)
        if self.drafts and mode is Mode.LINE:  # a context draft (ghost/drafts.py)
            text = await with_draft(self.gate, slot, doc.text, offset, text, prep, out)
        if text is not None:
            slot.counts.answered += 1
            slot.typeahead.remember(doc.uri, doc.text, offset, text)
            self.last_answer = {"rule": choice.rule, "model": slot.name}
        return text

    def _typed_ahead(
        self, doc: ParsedDocument, offset: int, request: RouteRequest, out: GhostOutcome
    ) -> str | None:
        """A suggestion the user is typing along, from any ready model of the matching rule."""
        rules = rules_for(self.settings, list(self.slots))
        rule = next((r for r in rules if matches(r, request)), None)
        for name in rule.models if rule is not None else ():
            slot = self.slots.get(name)
            hit = slot.typeahead.lookup(doc.uri, doc.text, offset) if slot else None
            if slot is not None and slot.ready and hit is not None:
                self._counts["typeahead_hits"] += 1
                out.typeahead_hit, out.model, out.text = True, slot.name, hit[1]
                out.stage("typeahead")
                slot.counts.answered += 1
                return hit[1]
        return None

    def _route_and_prepare(
        self,
        doc: ParsedDocument,
        offset: int,
        ctx: CursorContext,
        mode: Mode,
        request: RouteRequest,
    ) -> tuple[RouteChoice, PreparedRequest | None] | None:
        """Route, building each candidate model's prompt (its template and budget) to predict
        its latency; the chosen model's prompt is returned. Runs in a thread, serialized."""
        prepared: dict[str, PreparedRequest] = {}
        max_tokens = self.settings.inline.max_tokens

        def predict(slot: ModelSlot) -> float | None:
            prep = prepared[slot.name] = self._prepare_for(slot, doc, offset, ctx, mode)
            return slot.predict_ms(prep.request.prompt, max_tokens)

        with self._prepare_lock:
            choice = choose(
                rules_for(self.settings, list(self.slots)),
                self.slots,
                request,
                self.settings.route.latency_budget_ms,
                predict,
                self._start_slot,
            )
            if choice is None or choice.slot is None:
                return (choice, None) if choice is not None else None
            slot = choice.slot
            prep = prepared.get(slot.name) or self._prepare_for(slot, doc, offset, ctx, mode)
            return choice, prep

    def _prepare_for(
        self, slot: ModelSlot, doc: ParsedDocument, offset: int, ctx: CursorContext, mode: Mode
    ) -> PreparedRequest:
        inputs = RequestInputs(
            settings=slot.settings,
            backend=slot.backend,
            model_id=slot.identity,
            counter=slot.counter,
            references=self.references,
            index=self.index,
            stable_layout=self.stable_layout,
        )
        return prepare(inputs, doc, offset, ctx, mode)

    async def _generate_and_clean(
        self, slot: ModelSlot, prep: PreparedRequest, mode: Mode, out: GhostOutcome
    ) -> str | None:
        raw = self.cache.get(prep.key)
        out.cache_hit = raw is not None
        gen, lps = None, self.gate.recall(self.cache, prep.key) if raw is not None else None
        if raw is None:
            gen = await slot.generate(self.gate.arm(prep, slot.model_path), out)
            out.stage("model")
            if gen is None:
                self._counts["cancelled"] += 1
                out.why_none = out.why_none or "superseded or cancelled during generation"
                return None
            slot.counts.observe(gen.elapsed_s * 1000.0)
            raw = gen.text
            if gen.finish_reason == "length" and mode is Mode.BLOCK and "\n" in raw.rstrip():
                raw = raw[: raw.rstrip().rfind("\n")]  # the last line was cut mid-way
            lps = gen.logprobs
            if gen.finish_reason in ("stop", "length"):
                self.cache.put(prep.key, raw)
                self.gate.remember(self.cache, prep.key, lps)
        out.raw = raw
        loop = asyncio.get_running_loop()
        try:
            text = await loop.run_in_executor(None, clean, raw, prep.post, out.steps)
        except Exception:
            log.exception("post-processing failed")
            text = None
        out.stage("postprocess")
        out.text = text
        if text is None:
            last = f" ({out.steps[-1].rule})" if out.steps else ""
            out.why_none = "post-processing rejected it" + last
        gate = self.gate.review  # confidence gate + repair by regeneration (ghost/gate.py)
        text = await gate(text, raw, lps, prep, out, gen, slot.model_path, slot.generate)
        out.stage("gate")
        return text

    def explain(self, doc: ParsedDocument, offset: int, ctx: CursorContext) -> dict[str, Any]:
        """What the first model would see at ``offset`` (for ``glm-lsp complete --explain``);
        builds the prompt without generating. Safe before the model is loaded."""
        mode = choose_mode(ctx, self.settings.inline.mode)
        out: dict[str, Any] = {"mode": mode.value if mode is not None else None}
        if mode is None:
            return out
        slot = self.primary
        with self._prepare_lock:
            prep = self._prepare_for(slot, doc, offset, ctx, mode)
        out.update(
            model=slot.name,
            template=template_of(slot.backend).name,
            prompt=prep.request.prompt,
            max_tokens=prep.request.max_tokens,
            stop_strings=list(prep.request.stop_strings),
            cache_key=prep.key,
            prompt_tokens=slot.counter.count(prep.request.prompt),
        )
        return out

    # -- stats -------------------------------------------------------------------------------

    def stats(self) -> dict[str, dict[str, Any]]:
        """Sections of ``glm-lsp.stats``: ``model`` (with ``routes``: per model), ``inline``,
        ``cache``."""
        slot = next((s for s in self.slots.values() if s.ready), self.primary)
        info: dict[str, Any] = {}
        if slot.backend is not None:
            with contextlib.suppress(Exception):
                info = dict(slot.backend.info())
        c = self.counts
        path = info.get("path", str(slot.model_path) if slot.model_path else None)
        return {
            "model": {
                "state": self.state,
                "loaded": self.ready,
                "error": self.error,
                "backend": info.get("backend", slot.settings.model.backend),
                "path": path,
                "gpu_layers": info.get("gpu_layers"),
                "template": info.get("template"),
                "generations": c["generations"],
                "prompt_tokens_evaluated": c["prompt_tokens_evaluated"],
                "prompt_tokens_reused": c["prompt_tokens_reused"],
                "generated_tokens": c["generated_tokens"],
                "last": dict(self.last_answer),
                "routes": {name: slot_stats(s) for name, s in self.slots.items()},
            },
            "inline": {
                "requests": c["requests"],
                "cancelled": c["cancelled"],
                "suggestions": c["suggestions"],
                "typeahead_hits": c["typeahead_hits"],
                "shared": c["shared"],
                "errors": c["errors"],
                "gate": self.gate.stats(slot.model_path),  # confidence gate, repair
            },
            "cache": {"hits": self.cache.hits, "misses": self.cache.misses},
        }


def _skips(choice: RouteChoice) -> str:
    return "; ".join(f"{name}: {why}" for name, why in choice.skipped) or "none configured"
