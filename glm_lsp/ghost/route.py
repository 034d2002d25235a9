"""Which model answers a request: the first rule that matches it, then the first of its models
that is ready and fits the latency budget.

A request is described by its mode (LINE/BLOCK), language, trigger (automatic or invoked) and
kind (ghost text or dropdown items). A model that is loading, failed or whose server is down is
skipped ("not ready") and, when idle, its load is started so a later request can use it; a
model whose predicted latency is over the rule's budget is skipped ("over budget"). When every
model of the rule is skipped, nothing is generated: the dropdown never waits for a model, and
ghost text that would come too late is noise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from glm_lsp.config import DEFAULT_MODEL, Settings
from glm_lsp.config_routes import RouteRule
from glm_lsp.ghost.slot import ModelSlot


@dataclass(frozen=True)
class RouteRequest:
    mode: str  # "line" | "block"
    language: str
    trigger: str  # "automatic" | "invoked"
    kind: str  # "inline" | "items"


@dataclass
class RouteChoice:
    rule: str
    """The rule that matched (its name, or ``#n`` for the n-th unnamed one)."""
    slot: ModelSlot | None
    budget_ms: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(model, why)`` for each model tried before the one that answers."""


def rules_for(settings: Settings, names: Sequence[str]) -> tuple[RouteRule, ...]:
    """The configured rules, or one rule sending everything to every model in order."""
    if settings.route.rules:
        return settings.route.rules
    return (RouteRule(models=tuple(names) or (DEFAULT_MODEL,), name="all"),)


def matches(rule: RouteRule, req: RouteRequest) -> bool:
    return (
        (rule.mode is None or rule.mode == req.mode)
        and (rule.languages is None or req.language.lower() in rule.languages)
        and (rule.trigger is None or rule.trigger == req.trigger)
        and (rule.kind is None or rule.kind == req.kind)
    )


def choose(
    rules: Sequence[RouteRule],
    slots: dict[str, ModelSlot],
    req: RouteRequest,
    default_budget_ms: int,
    predict: Callable[[ModelSlot], float | None],
    start: Callable[[ModelSlot], None],
) -> RouteChoice | None:
    """The model for ``req``; ``None`` when no rule matches (no model for this request).

    ``predict`` gives a slot's predicted milliseconds for this request (``None``: unknown, which
    fits: trying it is how its speed is learned); ``start`` loads an idle slot in the background.
    """
    for i, rule in enumerate(rules):
        if not matches(rule, req):
            continue
        budget = default_budget_ms if rule.latency_budget_ms is None else rule.latency_budget_ms
        choice = RouteChoice(rule.name or f"#{i + 1}", None, budget)
        now = time.monotonic()
        for name in rule.models:
            slot = slots.get(name)
            if slot is None:
                continue
            slot.counts.requests += 1
            if slot.state in ("idle",) or (slot.state == "failed" and now >= slot.retry_at):
                start(slot)  # lazily, on first use; a failed one is retried after a while
            if not slot.ready or now < slot.retry_at:
                slot.counts.skipped_not_ready += 1
                why = slot.state if not slot.ready else "server down, retried later"
                choice.skipped.append((name, f"not ready ({why})"))
                continue
            predicted = predict(slot)
            if budget > 0 and predicted is not None and predicted > budget:
                slot.counts.skipped_over_budget += 1
                choice.skipped.append((name, f"over budget ({predicted:.0f} ms > {budget} ms)"))
                continue
            choice.slot = slot
            return choice
        return choice
    return None
