"""The server's model wiring over stdio: load progress, inline answers, stats, missing model.

Default settings (the embedded default model) are covered by ``test_default_model.py``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import TINY_MODEL, barrier, command, complete, inline, open_doc, ranked
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.slow


async def wait_model(client: LanguageClient, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats: dict[str, Any] = await command(client, "glm-lsp.stats")
        if stats["model"].get("state") in ("ready", "failed"):
            return stats
        await asyncio.sleep(0.1)
    raise TimeoutError("model never settled")


def _model_progress(client: LanguageClient) -> list[Any]:
    for reports in client.progress_reports.values():
        first = reports[0] if reports else None
        if isinstance(first, lsp.WorkDoneProgressBegin) and "model" in first.title:
            return reports
    return []


async def test_tiny_model_loads_and_answers_inline(model_client: LanguageClient) -> None:
    stats = await wait_model(model_client)
    assert stats["model"]["loaded"] is True, stats["model"]
    reports = _model_progress(model_client)
    assert reports, "no model progress was reported"
    uri = "file:///tmp/ghost.py"
    text = "def total(values: list[int]) -> int:\n    result = 0\n    for v in values:\n        "
    open_doc(model_client, uri, text)
    items = await inline(model_client, uri, 3, 8)
    for item in items:  # random weights: maybe nothing survives post-processing
        assert isinstance(item.insert_text, str)
        assert item.range is None or item.range.start.line == 3
    after = await command(model_client, "glm-lsp.stats")
    assert after["inline"]["requests"] >= 1
    assert after["inline"]["cancelled"] >= 0
    model = after["model"]
    assert model["path"] and Path(model["path"]).name == TINY_MODEL.name
    assert isinstance(model["gpu_layers"], int) and model["gpu_layers"] >= 0
    assert model["prompt_tokens_evaluated"] > 0
    assert model["prompt_tokens_reused"] >= 0
    assert model["generated_tokens"] > 0
    assert after["cache"]["misses"] >= 1  # the first request cannot be a hit
    assert isinstance(after["cache"]["hits"], int)
    assert after["inline"]["p50_ms"] > 0
    # The dropdown still works with a model loaded.
    result = await complete(model_client, uri, 2, 14)
    assert "values" in ranked(result)


async def test_inline_settings_change_keeps_the_loaded_model(model_client: LanguageClient) -> None:
    assert (await wait_model(model_client))["model"]["loaded"] is True
    uri = "file:///tmp/keep.py"
    open_doc(model_client, uri, "def f(values: list[int]) -> int:\n    total = 0\n    ")
    await inline(model_client, uri, 2, 4)
    before = (await command(model_client, "glm-lsp.stats"))["model"]
    assert before["prompt_tokens_evaluated"] > 0
    # Clients send the whole section; only the ghost-text length differs.
    settings = {"model": {"path": str(TINY_MODEL), "threads": 1}, "inline": {"maxTokens": 24}}
    model_client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"glmLsp": settings})
    )
    await barrier(model_client)
    after = (await command(model_client, "glm-lsp.stats"))["model"]
    # A reload would start a new service: not ready at once, counters back at zero.
    assert after["state"] == "ready"
    assert after["prompt_tokens_evaluated"] >= before["prompt_tokens_evaluated"]


async def test_missing_model_is_one_warning_and_static_keeps_working(
    missing_model_client: LanguageClient,
) -> None:
    client = missing_model_client
    stats = await wait_model(client)
    assert stats["model"]["loaded"] is False
    for _ in range(400):  # polls: returns as soon as the message is there
        if client.messages:
            break
        await asyncio.sleep(0.05)
    await barrier(client)  # and nothing else is on its way
    model_messages = [m for m in client.messages if "model" in m.message.lower()]
    assert len(model_messages) == 1
    assert model_messages[0].type == lsp.MessageType.Warning
    uri = "file:///tmp/static.py"
    open_doc(client, uri, "alpha_value = 1\nalp")
    result = await complete(client, uri, 1, 3)
    assert "alpha_value" in ranked(result)
    assert await inline(client, uri, 1, 3) == []
