"""What happened to one ghost-text (or model-item) request, stage by stage.

The caller creates a :class:`GhostOutcome` and hands it to ``GhostService.inline`` or
``candidates``; the service fills it in as the request flows (mode, cache, model, tokens,
post-processing). The trace records it, ``--explain`` and stats read it: one record of the path
from the cursor to the suggestion, so "why no ghost text here?" has an answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from glm_lsp.ghost.postprocess import PostStep


@dataclass
class GhostOutcome:
    channel: str = "inline"
    """``inline`` (ghost text) or ``candidates`` (dropdown model items)."""
    mode: str | None = None
    why_none: str | None = None
    """Why nothing was asked or shown (not ready, no mode here, superseded, rejected...)."""
    model: str = ""
    route: str = ""
    """The route rule that matched (its name, or ``#n``)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(model, why)`` for each model the route passed over (not ready, over budget)."""
    typeahead_hit: bool = False
    cache_hit: bool = False
    shared: bool = False
    """The answer came from an identical generation already running (the other channel's)."""
    prompt_tokens: int = 0
    prompt_tokens_reused: int = 0
    generated_tokens: int = 0
    finish_reason: str = ""
    raw: str | None = None
    steps: list[PostStep] = field(default_factory=list)
    text: str | None = None
    confidence: dict[str, Any] | None = None
    """The suggestion's confidence (``ghost/confidence.py``) and the gate's threshold."""
    gated: bool = False
    """The confidence gate hid it (or stopped its generation early)."""
    repair: dict[str, Any] | None = None
    """A regeneration after a rejection (``ghost/repair.py``): why, how, what it gave."""
    draft: dict[str, Any] | None = None
    """A context draft (``ghost/drafts.py``): the vote, its score, whether it was shown."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    _mark: float = field(default_factory=time.perf_counter, repr=False)

    def stage(self, name: str) -> None:
        """Close the stage ``name``: the time since the previous mark is its duration."""
        now = time.perf_counter()
        self.timings_ms[name] = self.timings_ms.get(name, 0.0) + (now - self._mark) * 1000.0
        self._mark = now

    def none(self, why: str) -> None:
        self.why_none = why
        self.text = None


def ghost_summary(out: GhostOutcome) -> dict[str, object]:
    """The last ghost-text request in a document, for ``glm-lsp.explain``: which rule and model
    answered, why the others were skipped, and why nothing was shown when nothing was."""
    return {
        "route": out.route,
        "model": out.model,
        "skipped": [{"model": name, "why": why} for name, why in out.skipped],
        "mode": out.mode,
        "shown": out.text is not None,
        "why_none": out.why_none,
        "cache_hit": out.cache_hit,
        "typeahead_hit": out.typeahead_hit,
        "prompt_tokens": out.prompt_tokens,
        "prompt_tokens_reused": out.prompt_tokens_reused,
        "generated_tokens": out.generated_tokens,
        "rules_applied": [step.rule for step in out.steps],
        "timings_ms": {k: round(v, 2) for k, v in out.timings_ms.items()},
    }
