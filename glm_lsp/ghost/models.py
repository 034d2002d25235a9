"""The session's models: one slot per configured model, built from the settings, and which one
to unload when ``models.maxLoaded`` would be exceeded.

The single ``model`` section (no ``models.entries``) is one slot named ``default``: the same
path as several models, so one model is not a special case anywhere downstream.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Mapping
from typing import Any

from glm_lsp.config import DEFAULT_MODEL, ModelSettings, Settings
from glm_lsp.config_routes import ModelEntry
from glm_lsp.ghost.slot import ModelSlot
from glm_lsp.model.backend import ModelBackend


def build_slots(
    settings: Settings,
    on_error: Callable[[str], None] | None,
    backend: ModelBackend | None = None,
    backends: Mapping[str, ModelBackend] | None = None,
) -> dict[str, ModelSlot]:
    """One slot per entry of ``models.entries`` (``backends`` stand in for some, in tests), or
    the ``default`` slot of the ``model`` section (``backend`` stands in for it)."""
    entries = settings.models.entries
    if not entries:
        slot = ModelSlot(DEFAULT_MODEL, settings, backend=backend, on_error=on_error)
        return {DEFAULT_MODEL: slot}
    given = backends or {}
    return {
        e.name: ModelSlot(
            e.name, entry_settings(settings, e), backend=given.get(e.name), on_error=on_error
        )
        for e in entries
    }


def entry_settings(settings: Settings, entry: ModelEntry) -> Settings:
    """The settings one configured model runs with: its own ``model`` section; what the entry
    leaves out comes from the ``model`` section."""
    base = settings.model
    model = ModelSettings(
        path=entry.path,
        name=entry.catalog if entry.backend == "llama" else entry.remote_model,
        backend=entry.backend,
        gpu_layers=entry.gpu_layers if entry.gpu_layers is not None else base.gpu_layers,
        context_size=entry.context_size or base.context_size,
        threads=entry.threads if entry.threads is not None else base.threads,
        remote_url=entry.remote_url,
    )
    return dataclasses.replace(settings, model=model)


def lru_victim(
    slots: Mapping[str, ModelSlot], starting: ModelSlot, max_loaded: int
) -> ModelSlot | None:
    """The least recently used local model to unload before ``starting`` loads, when that
    would hold more than ``max_loaded`` local models in memory (remote ones cost nothing)."""
    if not starting.local:
        return None
    held = [s for s in slots.values() if s.local and s.state in ("loading", "ready")]
    if len(held) < max_loaded:
        return None
    return min(held, key=lambda s: s.last_used)


def slot_stats(slot: ModelSlot) -> dict[str, Any]:
    """``glm-lsp.stats`` ``model.routes.<name>``."""
    c = slot.counts
    return {
        "state": slot.state,
        "requests": c.requests,
        "answered": c.answered,
        "skipped_over_budget": c.skipped_over_budget,
        "skipped_not_ready": c.skipped_not_ready,
        "generated_tokens": c.generated_tokens,
        "prompt_tokens_evaluated": c.prompt_tokens_evaluated,
        "prompt_tokens_reused": c.prompt_tokens_reused,
        "p50_ms": round(statistics.median(c.latencies_ms), 1) if c.latencies_ms else 0.0,
        "prefill_tps": round(slot.prefill_tps, 1),
        "decode_tps": round(slot.decode_tps, 1),
    }
