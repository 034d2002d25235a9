"""The confidence gate, early stop and repair by regeneration, with backends whose token
log-probabilities the test chooses; calibration on a synthetic set whose answer is known."""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fake_backend import FakeBackend

from glm_lsp.config import Settings, parse_settings
from glm_lsp.ghost.calibrate import Sample, best_threshold, pick_threshold, table
from glm_lsp.ghost.confidence import score
from glm_lsp.ghost.gate import Gate, early_stop_logprob, resolve_threshold
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.postprocess import PostStep
from glm_lsp.ghost.service import GhostService
from glm_lsp.model.backend import CancelToken, Generation, GenerationRequest
from glm_lsp.model.calibration import stored_threshold, write_calibration
from glm_lsp.model.logprobs import FirstLine, openai_logprobs
from glm_lsp.model.remote import RemoteBackend
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import ParsedDocument, parse_text


class LogprobBackend(FakeBackend):
    """One token per character, each with the log-probability ``lp(text, i)``; honours the
    early stop (``min_logprob``) and a banned first token (``ban_first_ids``) like llama."""

    def __init__(
        self,
        answer: Callable[[str], str],
        lp: Callable[[str, int], float],
        banned_answer: str = "",
        early_stop: bool = True,
    ) -> None:
        super().__init__(answer)
        self.lp = lp
        self.early_stop = early_stop
        self.banned_answer = banned_answer
        self.requests: list[GenerationRequest] = []

    def generate(self, req: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        self.requests.append(req)
        full = self.answer(req.prompt)
        if req.ban_first_ids and full and ord(full[0]) in req.ban_first_ids:
            full = self.banned_answer
        line = FirstLine(req.min_logprob if self.early_stop else None)
        lps: list[tuple[str, float]] = []
        finish = "stop"
        for i, ch in enumerate(full[: req.max_tokens]):
            lps.append((ch, self.lp(full, i)))
            if line.add(ch, lps[-1][1]):
                finish = "low_confidence"
                break
        text = "".join(t for t, _ in lps)
        return Generation(
            text,
            len(req.prompt),
            0,
            len(lps),
            False,
            finish,
            0.001,
            token_ids=tuple(ord(c) for c in text),
            logprobs=tuple(lps),
        )


def _settings(min_confidence: float | str) -> Settings:
    s = Settings()
    inline = dataclasses.replace(s.inline, mode="line", min_confidence=min_confidence)
    return dataclasses.replace(s, inline=inline)


async def _ask(
    backend: FakeBackend, src: str, min_confidence: float | str = 0.5
) -> tuple[list[str], GhostOutcome, GhostService]:
    service = GhostService(_settings(min_confidence), backend=backend)
    service.start()
    assert await service.wait_loaded(5)
    offset = src.index("‸")
    text = src[:offset] + src[offset + 1 :]
    spec = spec_for("python")
    tree = parse_text(spec, text) if spec is not None else None
    doc = ParsedDocument("file:///w/m.py", "/w/m.py", "python", spec, text, 1, tree)
    ctx = build_context(spec, text, offset, tree)
    out = GhostOutcome()
    shown = await service.inline(doc, offset, ctx, CancelToken(), outcome=out)
    return [s.text for s in shown], out, service


async def test_high_confidence_is_shown_with_its_score() -> None:
    backend = LogprobBackend(lambda _p: "x + 1", lambda _t, _i: -0.01)
    shown, out, service = await _ask(backend, "def f(x):\n    return ‸\n")
    assert shown == ["x + 1"]
    assert out.confidence is not None and not out.gated
    assert out.confidence["score"] == pytest.approx(math.exp(-0.05), abs=1e-3)
    assert out.confidence["threshold"] == 0.5
    gate = service.stats()["inline"]["gate"]
    assert gate["shown"] == 1 and gate["gated"] == 0
    service.close()


async def test_low_confidence_is_hidden_and_adds_no_dropdown_item() -> None:
    # A backend that cannot stop early (a whole non-streamed answer): the gate judges the score.
    lp = lambda _t, i: -1.0 if i == 4 else -0.01  # noqa: E731
    backend = LogprobBackend(lambda _p: "x + 1", lp, early_stop=False)
    shown, out, service = await _ask(backend, "def f(x):\n    return ‸\n")
    assert shown == [] and out.gated
    assert out.why_none is not None and "below the gate" in out.why_none
    assert service.stats()["inline"]["gate"]["gated"] == 1
    # The dropdown asks the same path: nothing below the gate becomes an item either.
    text = "def f(x):\n    return \n"
    spec = spec_for("python")
    tree = parse_text(spec, text) if spec is not None else None
    doc = ParsedDocument("file:///w/n.py", "/w/n.py", "python", spec, text, 1, tree)
    ctx = build_context(spec, text, 21, tree)
    assert await service.candidates(doc, 21, ctx, CancelToken()) == []
    service.close()


async def test_cache_hit_is_judged_like_its_generation() -> None:
    backend = LogprobBackend(lambda _p: "x + 1", lambda _t, _i: -0.5)
    shown, out, service = await _ask(backend, "def f(x):\n    return ‸\n", min_confidence=0.01)
    assert shown == ["x + 1"]
    service.primary.typeahead.forget("file:///w/m.py")
    again = GhostOutcome()
    src = "def f(x):\n    return \n"
    spec = spec_for("python")
    tree = parse_text(spec, src) if spec is not None else None
    doc = ParsedDocument("file:///w/m.py", "/w/m.py", "python", spec, src, 1, tree)
    ctx = build_context(spec, src, 21, tree)
    await service.inline(doc, 21, ctx, CancelToken(), outcome=again)
    assert again.cache_hit and again.confidence is not None
    assert out.confidence is not None
    assert again.confidence["score"] == pytest.approx(out.confidence["score"])
    service.close()


async def test_early_stop_ends_a_hopeless_generation() -> None:
    backend = LogprobBackend(lambda _p: "abcdefghijklmnopqrstuvwxyz", lambda _t, _i: -0.3)
    shown, out, service = await _ask(backend, "def f(x):\n    return ‸\n")
    assert shown == [] and out.gated
    assert backend.requests[0].min_logprob == pytest.approx(math.log(0.5))
    assert out.generated_tokens == 3  # -0.9 < ln 0.5 = -0.69 after the third token
    assert out.finish_reason == "low_confidence"
    assert service.stats()["inline"]["gate"]["early_stops"] == 1
    service.close()


async def test_no_logprobs_falls_back_to_showing_with_a_note() -> None:
    shown, out, service = await _ask(FakeBackend(lambda _p: "x + 1"), "def f(x):\n    return ‸\n")
    assert shown == ["x + 1"]
    assert out.confidence is not None and out.confidence["score"] is None
    assert "no token log-probabilities" in out.confidence["note"]
    gate = service.stats()["inline"]["gate"]
    assert gate["no_logprobs"] == 1 and "shown" in gate["note"]
    service.close()


async def test_parse_error_is_repaired_by_banning_the_first_token() -> None:
    backend = LogprobBackend(lambda _p: "1 +/ 2", lambda _t, _i: -0.01, banned_answer="2 * x")
    shown, out, service = await _ask(backend, "def f(x):\n    y = ‸\n")
    assert shown == ["2 * x"]
    assert backend.requests[1].ban_first_ids == (ord("1"),)
    assert out.repair is not None and out.repair["why"] == "parse_errors" and out.repair["shown"]
    gate = service.stats()["inline"]["gate"]
    assert gate["repairs_tried"] == 1 and gate["repairs_shown"] == 1
    service.close()


def test_member_rejection_plans_a_forced_member() -> None:
    from glm_lsp.ghost.postprocess import PostContext
    from glm_lsp.ghost.repair import plan

    post = PostContext(line_prefix="s.ap", suffix="\n", block=False, typed="ap")
    post = dataclasses.replace(post, members=("items", "append", "apply"))
    steps = [PostStep("member", "zzz()", None)]
    fix = plan(steps, post, None, regenerated=False)
    assert fix is not None and fix.forced == "pend" and fix.ban == ()
    assert plan([PostStep("first_line", "a\nb", "a")], post, None, False) is None  # not rejected


def test_score_counts_the_kept_text_and_the_token_after_it() -> None:
    lps = [("foo", -0.1), ("(", -0.2), ("x", -0.3), (")", -0.4), ("\n", -0.5), ("bar", -9.0)]
    conf = score(lps, "foo(x)\nbar", "foo(x)", [], block=False, line_prefix="y = ")
    assert conf.score == pytest.approx(math.exp(-1.5))
    cut = score(
        lps,
        "foo(x)\nbar",
        "foo",
        [PostStep("suffix_repeat", "foo(x)", "foo")],
        block=False,
        line_prefix="",
    )
    assert cut.score == pytest.approx(math.exp(-0.3))  # "foo" and the "(" that followed
    swapped = score(
        lps,
        "foo(x)",
        "fob(x)",
        [PostStep("member", "foo(x)", "fob(x)")],
        block=False,
        line_prefix="",
    )
    assert swapped.score == pytest.approx(math.exp(-1.5) * 0.5)
    assert score(None, "x", "x", [], block=False, line_prefix="").score is None


def test_threshold_setting_auto_reads_calibration_then_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLM_LSP_MODELS_DIR", str(tmp_path))
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert resolve_threshold("auto", model)[0] is None
    assert resolve_threshold(0.3, model) == (0.3, "inline.minConfidence")
    assert resolve_threshold(0.0, model)[0] is None  # 0 shows everything
    write_calibration(model, {"min_confidence": 0.125})
    assert resolve_threshold("auto", model)[0] == 0.125
    assert stored_threshold(Path("glm-code-tiny-q8_0.gguf")) is not None  # the catalog's
    assert early_stop_logprob(0.5) == pytest.approx(math.log(0.5))
    assert Gate("auto").threshold(None)[0] is None


def test_min_confidence_setting_accepts_auto_or_a_number() -> None:
    settings, errors = parse_settings({"inline": {"minConfidence": 0.2}})
    assert settings.inline.min_confidence == 0.2 and errors == []
    settings, errors = parse_settings({"inline": {"minConfidence": "high"}})
    assert settings.inline.min_confidence == "auto" and errors
    settings, errors = parse_settings({"inline": {"minConfidence": -1}})
    assert settings.inline.min_confidence == "auto" and errors


def _sample(score_: float, exact: bool) -> Sample:
    return Sample(score_, "x", exact, 1.0 if exact else 0.0, False, 1.0, None)


def test_calibration_picks_the_lowest_threshold_meeting_the_target() -> None:
    # Synthetic: scores 0.01..1.00; above 0.6 every other one is exact (precision 50 %), below
    # 0.6 none is. Precision at t: exact(≥t) / count(≥t). The lowest t with ≥ 25 %: the 40
    # samples ≥ 0.61 hold 20 exact; going down to 0.21 adds 40 inexact: 20 / 80 = 25 %.
    samples = [_sample(i / 100, i > 60 and i % 2 == 0) for i in range(1, 101)]
    chosen = pick_threshold(samples, 0.25)
    assert chosen is not None
    threshold, shown, precision = chosen
    assert threshold == pytest.approx(0.21) and shown == 80 and precision == pytest.approx(0.25)
    assert pick_threshold(samples, 0.9) is None  # unreachable: say so, pick nothing
    # Unreachable: `models calibrate` falls back to the most precise threshold with ≥ 10 shown:
    # 0.90 shows 11, of which 0.90, 0.92 ... 1.00 (6) are exact.
    assert best_threshold(samples, min_shown=10) == (pytest.approx(0.90), 11, 6 / 11)
    assert table(samples, [0.61])[0][1:4] == ["40", "40.0%", "50.0%"]


# -- a remote server without logprobs ---------------------------------------------------------


@pytest.fixture
def plain_server() -> Iterator[str]:
    """An OpenAI-compatible server that streams text and no ``logprobs``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._send("application/json", json.dumps({"data": [{"id": "m"}]}).encode())

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            events = [{"choices": [{"text": t}]} for t in ("x ", "+ 1")]
            events.append({"choices": [{"text": "", "finish_reason": "stop"}]})
            body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            self._send("text/event-stream", body.encode())

        def _send(self, kind: str, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


async def test_remote_without_logprobs_falls_back_to_showing(plain_server: str) -> None:
    shown, out, service = await _ask(RemoteBackend(plain_server), "def f(x):\n    return ‸\n")
    assert shown == ["x + 1"]
    assert out.confidence is not None and out.confidence["score"] is None
    assert service.stats()["inline"]["gate"]["no_logprobs"] == 1
    service.close()


def test_openai_logprobs_shapes() -> None:
    legacy = {"logprobs": {"tokens": ["a", "b"], "token_logprobs": [-0.1, None]}}
    assert openai_logprobs(legacy) == [("a", -0.1), ("b", 0.0)]
    content = {"logprobs": {"content": [{"token": "a", "logprob": -0.2}]}}
    assert openai_logprobs(content) == [("a", -0.2)]
    assert openai_logprobs({"text": "a"}) is None
