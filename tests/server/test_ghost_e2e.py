"""End to end through the real server process: the model's exact text reaches the client as
ghost text (text and range) and as a dropdown item. The model is a scripted OpenAI-compatible
server on loopback, so the answer is known and the assertions are exact."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from fake_openai import FakeOpenAI, fake_server
from lsp_helpers import CONFIG, inline
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    yield from fake_server("als_sum(values)")


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A VS Code-like client whose server's model is the fake on loopback."""
    fake: FakeOpenAI = request.getfixturevalue("fake")
    tmp: Path = request.getfixturevalue("tmp_path")
    root = tmp / "ws"
    root.mkdir()
    options = {
        "cache": {"dir": str(tmp / "cache")},
        "model": {"backend": "remote", "remoteUrl": fake.url},
        "completion": {"modelItems": 1},
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


async def _stats(client: LanguageClient) -> dict[str, Any]:
    params = lsp.ExecuteCommandParams(command="glm-lsp.stats")
    result: dict[str, Any] = await client.workspace_execute_command_async(params)
    return result


async def _ready(client: LanguageClient) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = (await _stats(client))["model"].get("state")
        if state == "ready":
            return
        assert state in ("idle", "loading"), f"model state {state}"  # fail fast, not at 30 s
        await asyncio.sleep(0.05)
    raise TimeoutError("the model never became ready")


TEXT = "def mean(values):\n    total = tot\n"


async def test_exact_ghost_text_and_model_item_reach_the_client(
    client: LanguageClient, fake: FakeOpenAI
) -> None:
    await _ready(client)
    uri = "file:///tmp/ghost_e2e.py"
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, TEXT))
    )
    cursor = lsp.Position(1, len("    total = tot"))
    items = await inline(client, uri, cursor.line, cursor.character)
    assert len(items) == 1
    assert items[0].insert_text == "als_sum(values)"
    assert items[0].range == lsp.Range(cursor, cursor)
    assert fake.prompts and "total = tot" in fake.prompts[0]

    # The dropdown: the same generation read as one item, `totals_sum(values)` replacing `tot`.
    found = None
    for _ in range(20):  # the first list may go out before the model answers (isIncomplete)
        listing = await client.text_document_completion_async(
            lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), cursor)
        )
        assert isinstance(listing, lsp.CompletionList)
        found = next((i for i in listing.items if i.label == "totals_sum"), None)
        if found is not None:
            break
        await asyncio.sleep(0.05)
    assert found is not None, "the model item never reached the dropdown"
    assert isinstance(found.text_edit, lsp.TextEdit)
    assert found.text_edit.new_text == "totals_sum(values)"
    start = lsp.Position(1, len("    total = "))
    assert found.text_edit.range == lsp.Range(start, cursor)
