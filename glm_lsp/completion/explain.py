"""Why the dropdown looks the way it does: the cursor context and every item's features.

Used by ``glm-lsp complete --explain`` / ``--json`` and the demo, so a ranking decision can be
read and argued with instead of guessed at.
"""

from __future__ import annotations

from typing import Any

from glm_lsp.completion.engine import CompletionResult
from glm_lsp.completion.ranking import MEMBER_WEIGHTS, WEIGHTS, RankedItem
from glm_lsp.syntax.context import CursorContext


def format_explain(result: CompletionResult, limit: int = 20) -> str:
    """Plain-text report: context first, then one line per item with its score and features."""
    lines = ["cursor context:"]
    lines.extend(f"  {key}: {value}" for key, value in _context_fields(result.context).items())
    if result.receiver_type:
        lines.append(f"  receiver type: {result.receiver_type}")
    if result.expected_type:
        lines.append(f"  expected type (resolved): {result.expected_type}")
    if result.context_keys:
        lines.append(f"  history contexts: {', '.join(result.context_keys)}")
    for failure in result.failures:
        lines.append(f"  source failed: {failure}")
    shown = result.items[:limit]
    lines.append(
        f"items: {len(result.items)}{' (incomplete)' if result.is_incomplete else ''}"
        f", {result.elapsed_ms:.1f} ms"
    )
    width = max((len(item.candidate.name) for item in shown), default=4)
    weights = MEMBER_WEIGHTS if result.context.receiver is not None else WEIGHTS
    for rank, item in enumerate(shown, 1):
        cand = item.candidate
        feats = "  ".join(
            f"{name}={value:g}*{weights.get(name, 0.0):g}" for name, value in item.features.items()
        )
        lines.append(
            f"{rank:3d}. {cand.name:<{width}}  {item.score:7.3f}  "
            f"[{cand.source}/{cand.kind}{'' if cand.type is None else ': ' + cand.type}]  {feats}"
        )
    if len(result.items) > limit:
        lines.append(f"  … {len(result.items) - limit} more")
    return "\n".join(lines)


def result_to_json(result: CompletionResult) -> dict[str, Any]:
    """The same information as :func:`format_explain`, as JSON-ready data."""
    return {
        "context": {
            **_context_fields(result.context),
            "receiver_type": result.receiver_type,
            "expected_type": result.expected_type,
        },
        "context_keys": list(result.context_keys),
        "is_incomplete": result.is_incomplete,
        "elapsed_ms": round(result.elapsed_ms, 3),
        "failures": list(result.failures),
        "weights": dict(MEMBER_WEIGHTS if result.context.receiver is not None else WEIGHTS),
        "items": [_item_json(item) for item in result.items],
    }


def _item_json(item: RankedItem) -> dict[str, Any]:
    cand = item.candidate
    return {
        "label": cand.name,
        "insert_text": cand.insert_text or cand.name,
        "kind": cand.kind,
        "source": cand.source,
        "type": cand.type,
        "detail": cand.detail,
        "score": item.score,
        "sort_text": item.sort_text,
        "features": dict(item.features),
    }


def _context_fields(ctx: CursorContext) -> dict[str, Any]:
    expected = ctx.expected
    return {
        "language": ctx.language.name if ctx.language is not None else None,
        "offset": ctx.offset,
        "prefix": ctx.prefix,
        "replace": [ctx.replace_start, ctx.word_end],
        "node": ctx.node_type,
        "receiver": ctx.receiver,
        "operator": ctx.member_operator,
        "in_string": ctx.in_string,
        "in_comment": ctx.in_comment,
        "expected": None
        if expected is None
        else {
            "type": expected.type,
            "source": expected.source,
            "callee": expected.callee,
            "keyword_names": list(expected.keyword_names),
        },
        "scopes": [f"{s.kind} {s.name}".strip() for s in ctx.scopes],
    }
