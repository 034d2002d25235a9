"""End to end: a real server session with tracing on → ``glm-lsp trace view`` → the page in real
headless chromium. The model is the scripted OpenAI-compatible server, whose answer the
post-processing must cut (trailing spaces), so the page has a rule to show.

The screenshot is kept: under ``$GLM_LSP_ARTIFACTS`` when set, else in pytest's tmp dir.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "server"))

from fake_openai import FakeOpenAI, fake_server  # noqa: E402
from lsp_helpers import CONFIG, inline  # noqa: E402

pytestmark = pytest.mark.slow

TEXT = "def mean(values):\n    total = tot\n    return total\n"
ANSWER = "als_sum(values)   \n    print(total)\n"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    yield from fake_server(ANSWER)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    fake: FakeOpenAI = request.getfixturevalue("fake")
    tmp: Path = request.getfixturevalue("tmp_path")
    root = tmp / "ws"
    root.mkdir()
    (root / "stats.py").write_text(TEXT)
    options = {
        "cache": {"dir": str(tmp / "cache")},
        "model": {"backend": "remote", "remoteUrl": fake.url},
        "completion": {"modelItems": 1},
        "trace": {"enabled": True},
    }
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            initialization_options=options,
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _command(client: LanguageClient, command: str, *args: Any) -> Any:
    params = lsp.ExecuteCommandParams(command=command, arguments=list(args))
    return await client.workspace_execute_command_async(params)


async def _ready(client: LanguageClient) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (await _command(client, "glm-lsp.stats"))["model"].get("state") == "ready":
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the model never became ready")


def _artifacts(tmp_path: Path) -> Path:
    base = os.environ.get("GLM_LSP_ARTIFACTS")
    out = Path(base) / "trace" if base else tmp_path / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    return out


async def test_a_traced_session_draws_as_a_page_in_chromium(
    client: LanguageClient, tmp_path: Path
) -> None:
    await _ready(client)
    uri = (tmp_path / "ws" / "stats.py").as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, TEXT))
    )
    cursor = lsp.Position(1, len("    total = tot"))
    items = await inline(client, uri, cursor.line, cursor.character)
    assert [i.insert_text for i in items] == ["als_sum(values)"]
    command = items[0].command
    assert command is not None and command.command == "glm-lsp.accepted"
    await _command(client, command.command, *(command.arguments or []))  # what editors do
    for _ in range(10):  # a dropdown with its ranking (and the model item, once it arrived)
        listing = await client.text_document_completion_async(
            lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), cursor)
        )
        assert isinstance(listing, lsp.CompletionList) and listing.items
        if any(i.label == "totals_sum" for i in listing.items):
            break
        await asyncio.sleep(0.05)
    assert isinstance(listing, lsp.CompletionList)
    first = listing.items[0]
    assert first.command is not None
    await _command(client, first.command.command, *(first.command.arguments or []))

    shown = await _command(client, "glm-lsp.trace")
    assert shown["enabled"] is True and shown["requests"] >= 2, shown
    trace_dir = tmp_path / "cache" / "trace"
    files = list(trace_dir.glob("trace-*.jsonl"))
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    records = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    kinds = {r["kind"] for r in records}
    assert kinds == {"completion", "inline", "accept"}, kinds
    ghost = next(r for r in records if r["kind"] == "inline" and r["result"]["shown"])
    assert ghost["document"] == "stats.py" and ghost["model"]["raw"] is None  # no text by default
    assert [s["rule"] for s in ghost["model"]["steps"]][:1] == ["normalize"]  # spaces cut
    assert any(r["kind"] == "accept" and r["ref"] == ghost["id"] for r in records)

    # The command line the user runs, on the same cache directory.
    page = tmp_path / "trace.html"
    cli = [sys.executable, "-m", "glm_lsp", "trace", "view", "--cache-dir", str(tmp_path / "cache")]
    done = subprocess.run([*cli, "--out", str(page)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    node = shutil.which("node")
    assert node is not None, "node is needed (see tests/editors)"
    shot = _artifacts(tmp_path) / "trace-page.png"
    check = subprocess.run(
        [node, str(Path(__file__).with_name("page_check.js")), str(page), str(shot)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr[-3000:]
    seen = json.loads(check.stdout.strip().splitlines()[-1])
    assert seen["consoleErrors"] == [] and seen["pageErrors"] == [], seen
    assert seen["requests"] == [], "the page fetched something"
    assert len(seen["rows"]) >= 2 and seen["completionRows"] >= 1
    assert seen["waterfallBars"] >= 4 and seen["rankingRows"] >= 1 and seen["featureBars"] >= 1
    assert any(step.startswith("normalize") for step in seen["ghostSteps"]), seen["ghostSteps"]
    assert seen["ghostShown"] and seen["inlineWaterfall"] >= 3
    assert seen["summaryTables"] == 4 and "normalize" in seen["summaryText"]
    assert shot.is_file() and shot.stat().st_size > 10_000
