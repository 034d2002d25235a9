"""--explain output: the context that was built and every item's features."""

from __future__ import annotations

import json

from glm_lsp.completion.candidates import Candidate
from glm_lsp.completion.engine import CompletionResult
from glm_lsp.completion.explain import format_explain, result_to_json
from glm_lsp.completion.ranking import RankingInputs, rank
from glm_lsp.syntax.context import CursorContext, Scope
from glm_lsp.syntax.expected import ExpectedType
from glm_lsp.syntax.languages import spec_for


def result() -> CompletionResult:
    text = "def f(count: int):\n    total: int = co"
    ctx = CursorContext(
        language=spec_for("python"),
        text=text,
        offset=len(text),
        prefix="co",
        word_end=len(text),
        line_prefix="    total: int = co",
        line_suffix="",
        scopes=(Scope("function", "f", 0, len(text)), Scope("module", "", 0, len(text))),
        expected=ExpectedType("int", "annotation"),
    )
    cands = [
        Candidate("count", "parameter", "parameter", type="int"),
        Candidate("compile", "function", "builtin"),
    ]
    items = rank(cands, ctx, RankingInputs(file_counts={"count": 1}))
    return CompletionResult(ctx, items, False, context_keys=("expected:int",), expected_type="int")


def test_format_explain_shows_context_then_items() -> None:
    text = format_explain(result())
    head, _, body = text.partition("items:")
    assert "prefix: co" in head
    assert "'type': 'int'" in head
    assert "function f" in head
    assert "expected:int" in head
    lines = [line for line in body.splitlines() if line.strip()[:2].rstrip(".").isdigit()]
    assert lines[0].split()[1] == "count"
    assert "type_fit=1" in lines[0]
    assert lines[1].split()[1] == "compile"


def test_result_to_json_round_trips() -> None:
    data = json.loads(json.dumps(result_to_json(result())))
    assert data["context"]["expected"]["type"] == "int"
    assert data["context"]["scopes"] == ["function f", "module"]
    assert [item["label"] for item in data["items"]] == ["count", "compile"]
    first = data["items"][0]
    assert first["features"]["type_fit"] == 1.0
    assert first["sort_text"] < data["items"][1]["sort_text"]
    assert set(data["weights"]) >= set(first["features"])
