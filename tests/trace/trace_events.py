"""Real events for the trace tests: a ranked dropdown from the engine and a ghost outcome whose
post-processing cut and rejected text (the shapes the server hands the tracer)."""

from __future__ import annotations

import time
from pathlib import Path

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.completion.engine import CompletionEngine
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.postprocess import PostStep
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import ParsedDocument, parse_text
from glm_lsp.trace.records import CompletionEvent, InlineEvent

ROOT = Path("/ws")
SECRET = "sk-proj-4f9Qa8ZkT3mW7xYvB2nR5pLcH1dJ6eUo"
TEXT = "import os\n\ndef mean(values, count: int):\n    total = values.co\n"


def _doc() -> tuple[ParsedDocument, int]:
    spec = spec_for("python")
    assert spec is not None
    tree = parse_text(spec, TEXT)
    doc = ParsedDocument(
        "file:///ws/pkg/stats.py", "/ws/pkg/stats.py", "python", spec, TEXT, 1, tree
    )
    return doc, TEXT.index("values.co") + len("values.co")


def marks(*names: str, step: float = 0.001) -> list[tuple[str, float]]:
    t0 = time.perf_counter()
    return [(name, t0 + i * step) for i, name in enumerate(("start", *names))]


def ghost_outcome(channel: str = "inline") -> GhostOutcome:
    out = GhostOutcome(channel=channel)
    out.model = "fake-model.gguf"
    out.mode = "line"
    out.prompt_tokens, out.prompt_tokens_reused = 900, 880
    out.generated_tokens, out.finish_reason = 12, "stop"
    out.raw = f"unt(key='{SECRET}')  \nreturn total\n"
    out.steps = [
        PostStep("normalize", out.raw, f"unt(key='{SECRET}')\nreturn total"),
        PostStep("first_line", f"unt(key='{SECRET}')\nreturn total", f"unt(key='{SECRET}')"),
    ]
    out.text = f"unt(key='{SECRET}')"
    out.timings_ms = {"mode": 0.05, "prompt": 1.5, "model": 40.0, "postprocess": 0.4}
    return out


def completion_event(with_model: bool = True) -> CompletionEvent:
    doc, offset = _doc()
    engine = CompletionEngine(WorkspaceIndex(), background=False)
    gathered = engine.gather(doc, offset)
    result = engine.rank(gathered, 100)
    assert result.items, "the engine should offer list members after `values.`"
    return CompletionEvent(
        id="abc-1",
        ts=time.time(),
        uri=doc.uri,
        line=3,
        character=len("    total = values.co"),
        trigger={"kind": "trigger_character", "character": "."},
        marks=marks("gather", "model_wait", "rank", "items"),
        result=result,
        static=gathered.found.candidates if gathered.found is not None else (),
        outcome=ghost_outcome("candidates") if with_model else None,
        model_state="answered" if with_model else "off",
        returned=len(result.items),
    )


def inline_event(shown: bool = True) -> InlineEvent:
    doc, offset = _doc()
    out = ghost_outcome()
    if not shown:
        out.steps.append(PostStep("parse_errors", out.text or "", None))
        out.none("post-processing rejected it (parse_errors)")
    return InlineEvent(
        id="abc-2",
        ts=time.time(),
        uri=doc.uri,
        line=3,
        character=len("    total = values.co"),
        trigger={"kind": "automatic"},
        marks=marks("context", "ghost", "items"),
        context=build_context(doc.spec, doc.text, offset, doc.tree),
        outcome=out,
        shown=[out.text] if shown and out.text else [],
    )
