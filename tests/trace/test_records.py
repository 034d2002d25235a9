"""Trace records: every stage is present; code text is kept only when asked, and redacted."""

from __future__ import annotations

import json
from pathlib import Path

from trace_events import ROOT, SECRET, completion_event, inline_event

from glm_lsp.ghost.secrets import redact
from glm_lsp.trace.records import (
    NO_REDACTOR,
    AcceptEvent,
    TextPolicy,
    build_record,
    relative_document,
)


def _texts(record: dict[str, object]) -> str:
    return json.dumps(record)


def test_completion_record_has_every_stage() -> None:
    rec = build_record(completion_event(), TextPolicy(), [ROOT])
    assert rec["kind"] == "completion" and rec["id"] == "abc-1"
    assert rec["document"] == "pkg/stats.py"  # workspace-relative, never absolute
    assert rec["position"] == {"line": 3, "character": len("    total = values.co")}
    assert rec["trigger"] == {"kind": "trigger_character", "character": "."}
    names = [(s["name"], s["track"]) for s in rec["timings"]]
    assert names[:4] == [
        ("gather", "request"),
        ("model_wait", "request"),
        ("rank", "request"),
        ("items", "request"),
    ]
    assert ("model", "model") in names  # the model's own stages drawn under model_wait
    ctx = rec["context"]
    assert ctx["language"] == "python" and ctx["scope"] == "function mean"
    assert ctx["receiver"] == "values" and ctx["operator"] == "."
    assert "receiver_type" in ctx and "expected_type" in ctx
    cands = rec["candidates"]
    assert cands["total"] >= cands["ranked"] >= len(cands["top"]) > 0
    assert sum(cands["by_source"].values()) == cands["total"]
    top = cands["top"][0]
    assert top["features"] and isinstance(top["score"], float)
    model = rec["model"]
    assert model["model"] == "fake-model.gguf" and model["state"] == "answered"
    assert (model["prompt_tokens_evaluated"], model["prompt_tokens_reused"]) == (20, 880)
    assert model["generated_tokens"] == 12 and model["finish_reason"] == "stop"
    assert [s["rule"] for s in model["steps"]] == ["normalize", "first_line"]
    assert rec["result"]["items"] == cands["ranked"] and rec["result"]["top"] == top["label"]


def test_inline_record_has_the_ghost_path() -> None:
    rec = build_record(inline_event(shown=False), TextPolicy(), [ROOT])
    assert rec["kind"] == "inline" and rec["trigger"] == {"kind": "automatic"}
    stages = [(s["name"], s["track"]) for s in rec["timings"]]
    assert stages[:3] == [("context", "request"), ("ghost", "request"), ("items", "request")]
    assert ("postprocess", "ghost") in stages
    ghost = [s for s in rec["timings"] if s["track"] == "ghost"]
    assert ghost[0]["start_ms"] == rec["timings"][1]["start_ms"]  # inside the ghost stage
    assert rec["context"]["language"] == "python"
    steps = rec["model"]["steps"]
    assert steps[-1]["rule"] == "parse_errors" and steps[-1]["rejected"]
    assert rec["result"]["shown"] is False
    assert rec["result"]["why_none"] == "post-processing rejected it (parse_errors)"


def test_text_is_left_out_by_default() -> None:
    for event in (completion_event(), inline_event()):
        rec = build_record(event, TextPolicy(), [ROOT])
        assert SECRET not in _texts(rec)
        assert rec["model"]["raw"] is None and rec["model"]["raw_length"] > 0
        assert all(s["before"] is None for s in rec["model"]["steps"])


def test_included_text_always_goes_through_redaction() -> None:
    calls: list[str] = []

    def spy(text: str) -> str:
        calls.append(text)
        return redact(text)

    rec = build_record(inline_event(), TextPolicy(include=True, redact=spy), [ROOT])
    text = _texts(rec)
    assert SECRET not in text, "a token in the model output reached the trace"
    model = rec["model"]
    assert model["raw"] is not None and "return total" in model["raw"]
    assert model["steps"][1]["after"] is not None and rec["result"]["text"] is not None
    assert len(calls) >= 5  # raw, each step's before/after, final text


def test_without_a_redactor_no_text_is_stored() -> None:
    rec = build_record(inline_event(), TextPolicy(include=True, redact=None), [ROOT])
    assert SECRET not in _texts(rec)
    assert rec["model"]["raw"] == NO_REDACTOR


def test_accept_record_links_to_its_request() -> None:
    payload = {"trace": "abc-2", "channel": "inline", "length": 10, "acceptedLength": 4}
    rec = build_record(AcceptEvent(1.0, payload), TextPolicy(), [ROOT])
    assert rec == {
        "v": 1,
        "kind": "accept",
        "ts": 1.0,
        "ref": "abc-2",
        "channel": "inline",
        "length": 10,
        "accepted_length": 4,
        "partial": True,
    }
    item = {"trace": "abc-1", "name": "count", "source": "builtin", "contexts": ["x"]}
    rec = build_record(AcceptEvent(2.0, item), TextPolicy(), [ROOT])
    assert (rec["channel"], rec["item"], rec["source"]) == ("completion", "count", "builtin")


def test_documents_outside_the_workspace_keep_only_their_name() -> None:
    assert relative_document("file:///ws/a/b.py", [Path("/ws")]) == "a/b.py"
    assert relative_document("file:///home/me/secret/x.py", [Path("/ws")]) == "(outside)/x.py"
    assert relative_document("untitled:Untitled-1", []) == "untitled:Untitled-1"
