"""Trace events (what the request path hands over) and the JSON records built from them.

An event holds references to objects the request already computed (the ranked result, the ghost
outcome, ``perf_counter`` marks); nothing here runs on the request path. The writer thread calls
:func:`build_record`, which reads only plain fields of those objects (never a tree-sitter node:
the document's tree is edited in place by the next keystroke) and passes every piece of code
text through :class:`TextPolicy`: dropped unless ``trace.includeText``, and then always through
the secret redaction the prompts use.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from glm_lsp.completion.candidates import Candidate
from glm_lsp.completion.engine import CompletionResult
from glm_lsp.completion.ranking import RankedItem
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.syntax.context import CursorContext

VERSION = 1
TOP_N = 20
"""Ranked items kept per completion record (what a person reads; the rest is counted)."""

Redact = Callable[[str], str]
NO_REDACTOR = "[text not recorded: secret redaction unavailable]"


@dataclass(frozen=True)
class TextPolicy:
    """Whether code text is recorded, and the redaction it always goes through."""

    include: bool = False
    redact: Redact | None = None

    def text(self, value: str | None) -> str | None:
        """``value`` as it may be stored: ``None`` unless text is included; redacted; a marker
        when there is no redactor (text is never stored unredacted)."""
        if value is None or not self.include:
            return None
        if self.redact is None:
            return NO_REDACTOR
        return self.redact(value)

    def name(self, value: str | None) -> str | None:
        """Identifiers and receivers are kept (they explain a ranking), but still redacted."""
        if value is None or self.redact is None:
            return value
        return self.redact(value)


@dataclass
class RequestEvent:
    """What every request record shares. ``marks`` are ``(stage, perf_counter())`` in order,
    the first one the request's start: each stage lasts until the next mark."""

    id: str
    ts: float
    uri: str
    line: int
    character: int
    trigger: dict[str, Any]
    marks: list[tuple[str, float]]


@dataclass
class CompletionEvent(RequestEvent):
    result: CompletionResult | None = None
    static: Sequence[Candidate] = ()
    model_items: Sequence[Candidate] = ()
    outcome: GhostOutcome | None = None
    model_state: str = "off"
    """``off`` (no model asked), ``answered`` (within the budget), ``late`` (after the list
    went out: it warmed the cache for the next request)."""
    returned: int = 0


@dataclass
class InlineEvent(RequestEvent):
    context: CursorContext | None = None
    outcome: GhostOutcome = field(default_factory=GhostOutcome)
    status: str = "ok"
    """``ok``, ``cancelled`` (by the client), ``superseded`` (a newer request), ``error``."""
    shown: Sequence[str] = ()


@dataclass
class AcceptEvent:
    ts: float
    payload: Mapping[str, Any]


def build_record(
    event: RequestEvent | AcceptEvent, policy: TextPolicy, roots: Sequence[Path]
) -> dict[str, Any]:
    """The JSON record of ``event`` (runs on the writer thread)."""
    if isinstance(event, AcceptEvent):
        return accept_record(event)
    base: dict[str, Any] = {
        "v": VERSION,
        "kind": "completion" if isinstance(event, CompletionEvent) else "inline",
        "id": event.id,
        "ts": round(event.ts, 3),
        "document": relative_document(event.uri, roots),
        "position": {"line": event.line, "character": event.character},
        "trigger": event.trigger,
    }
    if isinstance(event, CompletionEvent):
        base.update(_completion(event, policy))
    elif isinstance(event, InlineEvent):
        base.update(_inline(event, policy))
    return base


def accept_record(event: AcceptEvent) -> dict[str, Any]:
    """``glm-lsp.accepted``: linked to its request by ``ref`` (the id the item carried)."""
    p = event.payload
    rec: dict[str, Any] = {
        "v": VERSION,
        "kind": "accept",
        "ts": round(event.ts, 3),
        "ref": str(p.get("trace", "")),
        "channel": "inline" if p.get("channel") == "inline" else "completion",
    }
    for key in ("name", "source"):
        if isinstance(p.get(key), str):
            rec["item" if key == "name" else key] = p[key]
    length, accepted = p.get("length"), p.get("acceptedLength", p.get("accepted_length"))
    if isinstance(length, int):
        rec["length"] = length
    if isinstance(accepted, int):
        rec["accepted_length"] = accepted
        rec["partial"] = isinstance(length, int) and accepted < length
    return rec


def stages(marks: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    """Consecutive stages from the marks: ``[{name, start_ms, ms}]`` relative to the first."""
    out: list[dict[str, Any]] = []
    if not marks:
        return out
    t0 = marks[0][1]
    for (_, start), (name, end) in itertools.pairwise(marks):
        out.append(_stage(name, (start - t0) * 1000.0, (end - start) * 1000.0))
    return out


def _stage(name: str, start: float, ms: float, track: str = "request") -> dict[str, Any]:
    return {"name": name, "start_ms": round(start, 3), "ms": round(ms, 3), "track": track}


def _total(marks: Sequence[tuple[str, float]]) -> float:
    return round((marks[-1][1] - marks[0][1]) * 1000.0, 3) if len(marks) > 1 else 0.0


def _completion(event: CompletionEvent, policy: TextPolicy) -> dict[str, Any]:
    result = event.result
    timeline = stages(event.marks)
    out: dict[str, Any] = {"total_ms": _total(event.marks)}
    if result is not None:
        out["context"] = context_json(result.context, policy)
        out["context"]["receiver_type"] = result.receiver_type
        out["context"]["expected_type"] = result.expected_type
    by_source = Counter(c.source for c in event.static)
    if event.model_items:
        by_source["model"] += len(event.model_items)
    items = result.items if result is not None else []
    out["candidates"] = {
        "total": sum(by_source.values()),
        "by_source": dict(by_source),
        "ranked": len(items),
        "top": [_ranked(item, policy) for item in items[:TOP_N]],
    }
    if result is not None and result.failures:
        out["candidates"]["failures"] = list(result.failures)
    if event.outcome is not None:
        ghost = outcome_json(event.outcome, policy)
        ghost["state"] = event.model_state
        out["model"] = ghost
        wait = next((s for s in timeline if s["name"] == "model_wait"), None)
        start = wait["start_ms"] if wait is not None else 0.0
        timeline.extend(_outcome_stages(event.outcome, start, "model"))
    out["timings"] = timeline
    out["result"] = {
        "items": event.returned,
        "incomplete": bool(result.is_incomplete) if result is not None else False,
        "top": items[0].candidate.name if items else None,
        "model_items": len(event.model_items),
    }
    return out


def _inline(event: InlineEvent, policy: TextPolicy) -> dict[str, Any]:
    outcome = event.outcome
    marks = event.marks
    timeline = stages(marks)
    # The service's own stages run inside "ghost": draw them there, one after the other.
    ghost = next((s for s in timeline if s["name"] == "ghost"), None)
    if ghost is not None:
        timeline.extend(_outcome_stages(outcome, ghost["start_ms"], "ghost"))
    out: dict[str, Any] = {"total_ms": _total(marks), "timings": timeline, "status": event.status}
    if event.context is not None:
        out["context"] = context_json(event.context, policy)
    out["model"] = outcome_json(outcome, policy)
    shown = [t for t in event.shown if t]
    out["result"] = {
        "shown": bool(shown),
        "length": len(shown[0]) if shown else 0,
        "lines": shown[0].count("\n") + 1 if shown else 0,
        "text": policy.text(shown[0]) if shown else None,
        "why_none": None if shown else (outcome.why_none or event.status),
    }
    return out


def _outcome_stages(outcome: GhostOutcome, start: float, track: str) -> list[dict[str, Any]]:
    out = []
    at = start
    for name, ms in list(outcome.timings_ms.items()):
        out.append(_stage(name, at, ms, track))
        at += ms
    return out


def context_json(ctx: CursorContext, policy: TextPolicy) -> dict[str, Any]:
    """The cursor context in plain fields: language, scope, receiver, expected type."""
    expected = ctx.expected
    return {
        "language": ctx.language.name if ctx.language is not None else None,
        "scope": " ".join(f"{s.kind} {s.name}".strip() for s in ctx.scopes[:1]) or "module",
        "scopes": [f"{s.kind} {s.name}".strip() for s in ctx.scopes],
        "node": ctx.node_type,
        "prefix": policy.name(ctx.prefix),
        "receiver": policy.name(ctx.receiver),
        "operator": ctx.member_operator,
        "in_string": ctx.in_string,
        "in_comment": ctx.in_comment,
        "expected": None
        if expected is None
        else {"type": expected.type, "source": expected.source, "callee": expected.callee},
    }


def outcome_json(outcome: GhostOutcome, policy: TextPolicy) -> dict[str, Any]:
    """The ghost path: mode (or why none), model, tokens, raw output, each rule, final text."""
    raw = outcome.raw
    return {
        "channel": outcome.channel,
        "mode": outcome.mode,
        "why_none": outcome.why_none,
        "model": outcome.model,
        "typeahead_hit": outcome.typeahead_hit,
        "cache_hit": outcome.cache_hit,
        "shared": outcome.shared,
        "prompt_tokens": outcome.prompt_tokens,
        "prompt_tokens_reused": outcome.prompt_tokens_reused,
        "prompt_tokens_evaluated": max(0, outcome.prompt_tokens - outcome.prompt_tokens_reused),
        "generated_tokens": outcome.generated_tokens,
        "finish_reason": outcome.finish_reason,
        "cancelled": "cancel" in (outcome.why_none or "") or "supersed" in (outcome.why_none or ""),
        "raw": policy.text(raw),
        "raw_length": len(raw) if raw is not None else None,
        "steps": [
            {
                "rule": step.rule,
                "rejected": step.after is None,
                "before": policy.text(step.before),
                "after": policy.text(step.after),
                "before_length": len(step.before),
                "after_length": len(step.after) if step.after is not None else None,
            }
            for step in list(outcome.steps)
        ],
        "text": policy.text(outcome.text),
        "timings_ms": {k: round(v, 3) for k, v in list(outcome.timings_ms.items())},
    }


def _ranked(item: RankedItem, policy: TextPolicy) -> dict[str, Any]:
    cand = item.candidate
    out: dict[str, Any] = {
        "label": cand.name,
        "source": cand.source,
        "kind": cand.kind,
        "type": cand.type,
        "score": round(item.score, 4),
        "features": {k: round(v, 4) for k, v in item.features.items()},
    }
    if cand.source == "model":
        out["insert_text"] = policy.text(cand.insert_text or cand.name)
    return out


def relative_document(uri: str, roots: Sequence[Path]) -> str:
    """The document relative to the workspace root holding it; outside every root, only its
    file name (the trace never stores an absolute path)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return f"{parsed.scheme}:{Path(unquote(parsed.path)).name}"
    path = Path(unquote(parsed.path))
    for root in roots:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            continue
    return f"(outside)/{path.name}"
