"""The router end to end: two local GGUFs (the shipped ones) and a remote server on loopback,
through the real server process. Rules send Python to the remote (falling back to the embedded
model when it is down), other languages and BLOCK to the random-weights model, and a model that
fails to load is skipped with one message. ``glm-lsp.explain`` says which rule and model
answered and why others were skipped."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from fake_openai import FakeOpenAI, fake_server
from lsp_helpers import CONFIG, TINY_MODEL, command, inline, open_doc
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

from glm_lsp.model.catalog import data_path

pytestmark = pytest.mark.slow

EMBEDDED = data_path("models") / "glm-code-tiny-q8_0.gguf"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    yield from fake_server("als_sum(values)")


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    fake: FakeOpenAI = request.getfixturevalue("fake")
    tmp: Path = request.getfixturevalue("tmp_path")
    broken = tmp / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)  # a truncated file: the load fails
    root = tmp / "ws"
    root.mkdir()
    options = {
        "cache": {"dir": str(tmp / "cache")},
        "inline": {"maxTokens": 8},
        "models": {
            "entries": [
                {"name": "team", "remoteUrl": fake.url},
                {"name": "code", "path": str(EMBEDDED), "threads": 1},
                {"name": "tiny", "path": str(TINY_MODEL), "threads": 1},
                {"name": "broken", "path": str(broken)},
            ],
            "maxLoaded": 2,
        },
        "route": {
            "rules": [
                {"name": "blocks", "mode": "block", "models": ["broken", "tiny"]},
                {"name": "python", "languages": ["python"], "models": ["team", "code"]},
                {"name": "others", "models": ["tiny"]},
            ]
        },
    }
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options=options,
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _ghost(client: LanguageClient, uri: str, line: int, character: int) -> dict[str, Any]:
    """Ask for ghost text until a model (loading lazily) has answered; the explanation."""
    deadline = time.monotonic() + 90
    while True:
        await inline(client, uri, line, character)
        explained = await command(client, "glm-lsp.explain", uri, {"line": line, "character": 0})
        ghost: dict[str, Any] = explained.get("ghost") or {}
        if ghost.get("model") and "not ready" not in str(ghost.get("why_none")):
            return ghost
        assert time.monotonic() < deadline, ghost
        await asyncio.sleep(0.2)


async def test_rules_fallback_and_a_failed_load(client: LanguageClient, fake: FakeOpenAI) -> None:
    py = "file:///tmp/router_e2e.py"
    open_doc(client, py, "def mean(values):\n    total = tot\n")
    ghost = await _ghost(client, py, 1, len("    total = tot"))
    assert (ghost["route"], ghost["model"], ghost["shown"]) == ("python", "team", True)

    go = "file:///tmp/router_e2e.go"
    open_doc(client, go, "package main\n\nfunc f(x int) int {\n\treturn x\n}\n", "go")
    ghost = await _ghost(client, go, 3, len("\treturn x"))
    assert (ghost["route"], ghost["model"]) == ("others", "tiny")

    # BLOCK goes to "broken" first: its load fails, it is skipped, "tiny" answers.
    blk = "file:///tmp/router_block.py"
    open_doc(client, blk, "def f(x):\n    \n")
    ghost = await _ghost(client, blk, 1, 4)
    assert (ghost["route"], ghost["model"]) == ("blocks", "tiny")
    assert ghost["skipped"] and ghost["skipped"][0]["model"] == "broken"
    warnings = [
        m for m in client.messages if m.type == lsp.MessageType.Warning and "broken" in m.message
    ]
    assert len(warnings) == 1  # one message for the failed load, never one per request

    # The remote goes down: Python falls back to the embedded model, the remote is skipped.
    fake.close()
    deadline = time.monotonic() + 90
    while True:
        line = "    count = len"
        open_doc(client, py, f"def mean(values):\n{line}\n")
        ghost = await _ghost(client, py, 1, len(line))
        if ghost["model"] == "code":
            break
        assert time.monotonic() < deadline, ghost
    assert ghost["route"] == "python"
    assert any(s["model"] == "team" for s in ghost["skipped"])
    routes = (await command(client, "glm-lsp.stats"))["model"]["routes"]
    assert routes["team"]["answered"] >= 1 and routes["code"]["answered"] >= 0
    assert routes["broken"]["state"] == "failed"
    assert routes["team"]["skipped_not_ready"] >= 1
