"""The router: rules pick models by mode, language, trigger and kind; the first ready model
within the latency budget answers; a failing model is skipped and retried later; stats and the
outcome say which rule and model answered and why others were skipped."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from fake_backend import FakeBackend

from glm_lsp.config import Settings, parse_settings
from glm_lsp.config_routes import RouteRule
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.route import RouteRequest, choose, matches
from glm_lsp.ghost.service import GhostService
from glm_lsp.model.backend import CancelToken, ModelRequestError
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import ParsedDocument, parse_text


def _settings(extra: dict[str, Any]) -> Settings:
    raw = {
        "models": {
            "entries": [
                {"name": "small", "path": "/models/small.gguf"},
                {"name": "big", "path": "/models/big.gguf"},
            ]
        },
        "inline": {"maxTokens": 16},
    }
    raw.update(extra)
    settings, errors = parse_settings(raw)
    assert errors == []
    return settings


def _doc(src: str, language: str = "python") -> tuple[ParsedDocument, int]:
    offset = src.index("‸")
    text = src[:offset] + src[offset + 1 :]
    spec = spec_for(language)
    tree = parse_text(spec, text) if spec is not None else None
    path = f"/w/m.{'py' if language == 'python' else 'go'}"
    return ParsedDocument("file://" + path, path, language, spec, text, 1, tree), offset


async def _service(settings: Settings, **backends: FakeBackend) -> GhostService:
    service = GhostService(settings, backends=backends)
    service.start()
    for slot in service.slots.values():  # load every model now (the router would on first use)
        slot._loop = asyncio.get_running_loop()
        slot.start()
        assert await slot.wait_loaded(5), slot.error
    return service


async def _ask(service: GhostService, src: str, language: str = "python") -> GhostOutcome:
    doc, offset = _doc(src, language)
    out = GhostOutcome()
    ctx = build_context(doc.spec, doc.text, offset, doc.tree)
    await service.inline(doc, offset, ctx, CancelToken(), out)
    return out


LINE_SRC = "def f(x):\n    return ‸\n"
BLOCK_SRC = "def f(x):\n    ‸\n"


async def test_line_and_block_go_to_the_models_their_rules_name() -> None:
    rules = [
        {"name": "lines", "mode": "line", "models": ["small"]},
        {"name": "blocks", "mode": "block", "models": ["big"]},
    ]
    small, big = FakeBackend(lambda _p: "x + 1"), FakeBackend(lambda _p: "return x\n")
    service = await _service(_settings({"route": {"rules": rules}}), small=small, big=big)
    line = await _ask(service, LINE_SRC)
    assert (line.route, line.model, line.text) == ("lines", "small", "x + 1")
    block = await _ask(service, BLOCK_SRC)
    assert (block.route, block.model, block.mode) == ("blocks", "big", "BLOCK")
    assert len(small.prompts) == 1 and len(big.prompts) == 1
    routes = service.stats()["model"]["routes"]
    assert routes["small"]["answered"] == 1 and routes["big"]["answered"] == 1
    assert service.stats()["model"]["last"] == {"rule": "blocks", "model": "big"}
    service.close()


async def test_a_language_rule_sends_python_to_one_model_and_the_rest_elsewhere() -> None:
    rules = [
        {"name": "python", "languages": ["python"], "models": ["small"]},
        {"name": "others", "models": ["big"]},
    ]
    small, big = FakeBackend(lambda _p: "x + 1"), FakeBackend(lambda _p: "x + 2")
    service = await _service(_settings({"route": {"rules": rules}}), small=small, big=big)
    assert (await _ask(service, LINE_SRC)).model == "small"
    go = await _ask(service, "func f(x int) int {\n\treturn ‸\n}\n", language="go")
    assert (go.route, go.model) == ("others", "big")
    service.close()


async def test_a_failing_model_falls_back_to_the_next_and_is_retried_later() -> None:
    def down(_prompt: str) -> str:
        raise ModelRequestError("connection refused")

    rules = [{"name": "all", "models": ["big", "small"]}]
    big, small = FakeBackend(down), FakeBackend(lambda _p: "x + 1")
    service = await _service(_settings({"route": {"rules": rules}}), small=small, big=big)
    first = await _ask(service, LINE_SRC)
    assert first.model == "big" and first.text is None  # it failed this once
    second = await _ask(service, "def g(y):\n    return ‸\n")
    assert (second.model, second.text) == ("small", "x + 1")
    assert second.skipped and second.skipped[0][0] == "big"
    assert "not ready" in second.skipped[0][1]
    service.slots["big"].retry_at = time.monotonic() - 1  # the backoff has passed
    third = await _ask(service, "def h(z):\n    return ‸\n")
    assert third.model == "big"  # retried
    service.close()


async def test_a_model_over_the_latency_budget_is_skipped() -> None:
    rules = [{"name": "fast", "models": ["big", "small"], "latencyBudgetMs": 50}]
    big, small = FakeBackend(lambda _p: "x + 2"), FakeBackend(lambda _p: "x + 1")
    service = await _service(_settings({"route": {"rules": rules}}), small=small, big=big)
    slot = service.slots["big"]
    slot.prefill_tps, slot.decode_tps = 10.0, 2.0  # measured slow: seconds per request
    out = await _ask(service, LINE_SRC)
    assert (out.model, out.text) == ("small", "x + 1")
    assert out.skipped[0][0] == "big" and "over budget" in out.skipped[0][1]
    assert service.stats()["model"]["routes"]["big"]["skipped_over_budget"] == 1
    service.close()


async def test_a_model_that_fails_to_load_is_skipped_with_one_message() -> None:
    errors: list[str] = []
    rules = [{"name": "all", "models": ["big", "small"]}]
    big = FakeBackend(fail="big.gguf is truncated")
    small = FakeBackend(lambda _p: "x + 1")
    settings = _settings({"route": {"rules": rules}})
    service = GhostService(settings, on_error=errors.append, backends={"big": big, "small": small})
    service.start()
    await service.slots["big"].wait_loaded(5)
    deadline = time.monotonic() + 10
    while True:
        out = await _ask(service, LINE_SRC)
        if (out.model == "small" and out.text) or time.monotonic() > deadline:
            break
        await service.slots["small"].wait_loaded(5)  # the router started it on first use
        await asyncio.sleep(0.05)
    assert (out.model, out.text) == ("small", "x + 1")
    assert errors == ["big.gguf is truncated"]
    assert service.stats()["model"]["routes"]["big"]["state"] == "failed"
    service.close()


async def test_results_are_cached_per_model() -> None:
    rules = [{"name": "all", "models": ["small"]}]
    small = FakeBackend(lambda _p: "x + 1")
    settings = _settings({"route": {"rules": rules}})
    service = await _service(settings, small=small, big=FakeBackend())
    await _ask(service, LINE_SRC)
    key_small = service.cache.misses
    # Same request routed to the other model: a miss (the key names the model), not a hit.
    rules = [{"name": "all", "models": ["big"]}]
    service.settings = _settings({"route": {"rules": rules}})
    service.slots["small"].typeahead.forget("file:///w/m.py")
    out = await _ask(service, LINE_SRC)
    assert out.model == "big" and not out.cache_hit
    assert service.cache.misses == key_small + 1
    service.close()


@pytest.mark.parametrize(
    ("rule", "request_", "expected"),
    [
        (RouteRule(models=("a",)), RouteRequest("line", "python", "automatic", "inline"), True),
        (
            RouteRule(models=("a",), mode="block"),
            RouteRequest("line", "python", "automatic", "inline"),
            False,
        ),
        (
            RouteRule(models=("a",), languages=("go",)),
            RouteRequest("line", "Go", "invoked", "items"),
            True,
        ),
        (
            RouteRule(models=("a",), trigger="invoked", kind="items"),
            RouteRequest("line", "go", "automatic", "items"),
            False,
        ),
    ],
)
def test_rule_matching(rule: RouteRule, request_: RouteRequest, expected: bool) -> None:
    assert matches(rule, request_) is expected


def test_no_matching_rule_means_no_model() -> None:
    rules = (RouteRule(models=("a",), mode="block"),)
    req = RouteRequest("line", "python", "automatic", "inline")
    assert choose(rules, {}, req, 0, lambda s: None, lambda s: None) is None


def test_bad_entries_and_rules_are_reported_and_dropped() -> None:
    settings, errors = parse_settings(
        {
            "models": {"entries": [{"name": "ok", "path": "/m.gguf"}, {"name": "x"}]},
            "route": {"rules": [{"models": ["ok"], "mode": "huge"}, {"models": ["ghost"]}]},
        }
    )
    assert [e.name for e in settings.models.entries] == ["ok"]
    assert settings.route.rules == ()
    assert len(errors) == 3 and all("ignored" in e for e in errors)


async def test_a_model_loaded_on_first_use_reports_its_own_progress() -> None:
    seen: list[tuple[str, str]] = []

    def progress_for(name: str) -> Any:
        return lambda message, _pct: seen.append((name, message))

    rules = [{"name": "all", "models": ["big"]}]
    settings = _settings({"route": {"rules": rules}})
    backends = {"small": FakeBackend(), "big": FakeBackend(lambda _p: "x + 2")}
    service = GhostService(settings, backends=backends, progress_for=progress_for)
    service.start()  # loads "small" only (the first entry)
    assert service.slots["big"].state == "idle"
    await _ask(service, LINE_SRC)  # routed to "big": starts its load
    assert service.slots["big"].state in ("loading", "ready")
    assert await service.slots["big"].wait_loaded(5)
    await asyncio.sleep(0.05)  # the load callbacks run on the loop
    assert ("big", "model loaded") in seen
    assert (await _ask(service, "def g(y):\n    return ‸\n")).model == "big"
    service.close()
