"""Reading the trace back, the summary, the page and the ``glm-lsp trace`` command line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from trace_events import ROOT, completion_event, inline_event

from glm_lsp.cli import main
from glm_lsp.trace.reader import parse_since, read_records
from glm_lsp.trace.records import TextPolicy
from glm_lsp.trace.summary import format_summary, percentile, summarize
from glm_lsp.trace.view import render_page
from glm_lsp.trace.writer import Tracer


@pytest.fixture
def traced(tmp_path: Path) -> Path:
    """A cache dir whose trace holds a dropdown, a shown and a rejected ghost text, accepts."""
    directory = tmp_path / "cache" / "trace"
    tracer = Tracer(directory, max_bytes=2**20, policy=TextPolicy(), roots=lambda: [ROOT])
    dropdown = completion_event()
    shown, rejected = inline_event(), inline_event(shown=False)
    rejected.id = "abc-3"
    for event in (dropdown, shown, rejected):
        tracer.submit(event)
    tracer.accept({"trace": "abc-2", "channel": "inline", "length": 20, "acceptedLength": 5})
    tracer.accept({"trace": "abc-1", "name": "count", "source": "builtin"})
    assert tracer.flush()
    tracer.close()
    (directory / "trace-broken-1.jsonl").write_text('{"kind": "inline", "id": \n')  # a cut line
    return tmp_path / "cache"


def test_records_come_back_in_order_with_accepts_joined(traced: Path) -> None:
    records = read_records(traced / "trace")
    assert [r["kind"] for r in records] == ["completion", "inline", "inline", "accept", "accept"]
    assert records[1]["accepts"][0]["partial"] is True
    assert records[0]["accepts"][0]["item"] == "count"
    assert "accepts" not in records[2]
    assert read_records(traced / "trace", since=records[-1]["ts"] + 10) == []


def test_summary_latency_acceptance_and_rejecting_rules(traced: Path) -> None:
    summary = summarize(read_records(traced / "trace"))
    features = {(r["feature"], r["model"]) for r in summary["latency"]}
    assert features == {("completion", "fake-model.gguf"), ("inline", "fake-model.gguf")}
    by = {(r["by"], r["value"]): r for r in summary["acceptance"]}
    assert by[("mode", "line")]["offered"] == 1 and by[("mode", "line")]["rate"] == 1.0
    assert by[("mode", "line")]["partial"] == 1
    assert by[("language", "python")]["offered"] == 2  # the dropdown and the shown ghost text
    assert summary["rules"][0] == {"rule": "parse_errors", "rejected": 1, "changed": 0}
    assert summary["why_none"][0]["reason"].startswith("post-processing rejected it")
    table = format_summary(summary)
    assert "latency (ms)" in table and "parse_errors" in table and "100%" in table


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile([], 50)) == (50, 95, 0)


def test_since_accepts_durations_and_dates() -> None:
    assert parse_since("30m", now=10_000.0) == 10_000.0 - 1800
    assert parse_since("2h", now=10_000.0) == 10_000.0 - 7200
    assert parse_since(None) is None
    assert parse_since("2026-01-31") is not None
    with pytest.raises(ValueError, match="duration"):
        parse_since("yesterday-ish")


def test_page_is_self_contained_and_escapes_script_ends(traced: Path) -> None:
    records = read_records(traced / "trace")
    records[0]["document"] = "</script><script>alert(1)</script>.py"
    page = render_page(records)
    assert "http://" not in page and "https://" not in page and "src=" not in page
    assert "Content-Security-Policy" in page
    assert page.count("</script>") == 2  # the data block and the code block: nothing else
    data = page.split('type="application/json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["records"][0]["document"].startswith("</script>")


def test_cli_view_and_stats(traced: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = traced / "page.html"
    assert main(["trace", "view", "--cache-dir", str(traced), "--out", str(out)]) == 0
    assert f"{out} (3 requests)" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert main(["trace", "stats", "--cache-dir", str(traced)]) == 0
    assert "acceptance" in capsys.readouterr().out
    assert main(["trace", "stats", "--cache-dir", str(traced), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["requests"] == 3
    assert main(["trace", "stats", "--cache-dir", str(traced), "--since", "soon"]) == 2


def test_cli_without_a_trace_says_how_to_turn_it_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", "view", "--cache-dir", str(tmp_path)]) == 1
    assert "glmLsp.trace.enabled" in capsys.readouterr().err
