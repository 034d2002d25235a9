"""50 ghost-text requests in a burst, half of them cancelled, against the tiny model over stdio:
every request gets exactly one answer and the dropdown keeps answering (issue 3)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import TINY_MODEL
from raw_client import RawServer

pytestmark = pytest.mark.slow

URI = "file:///tmp/burst.py"
TEXT = "def total(values: list[int]) -> int:\n    result = 0\n    for v in values:\n        "
REQUEST_CANCELLED = -32800


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    raw = RawServer(tmp_path / "cache")
    options = {"model": {"path": str(TINY_MODEL), "threads": 1}, "cache": {"dir": str(tmp_path)}}
    raw.initialize(options=options)
    yield raw
    raw.close()


def _collect(server: RawServer, ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    """Every response, by id, until each of ``ids`` has one (extra ones are kept, to count)."""
    answers: dict[int, list[dict[str, Any]]] = {}
    while not ids <= answers.keys():
        message = server.read()
        if "method" in message:
            if "id" in message:  # a request from the server (progress tokens): answer it
                server.send({"id": message["id"], "result": None})
            continue
        answers.setdefault(message["id"], []).append(message)
    return answers


def _stats(server: RawServer, msg_id: int) -> dict[str, Any]:
    params = {"command": "glm-lsp.stats"}
    server.send({"id": msg_id, "method": "workspace/executeCommand", "params": params})
    result: dict[str, Any] = server.read_response(msg_id)["result"]
    return result


def test_burst_with_cancels_gets_one_answer_each(server: RawServer) -> None:
    deadline = time.monotonic() + 120
    while (state := _stats(server, 1)["model"].get("state")) != "ready":
        # A model that failed to load fails the test now, not after the deadline.
        assert state in ("idle", "loading"), f"the tiny model did not load: {state}"
        assert time.monotonic() < deadline, "the tiny model never loaded"
        time.sleep(0.1)
    item = {"uri": URI, "languageId": "python", "version": 1, "text": TEXT}
    server.send({"method": "textDocument/didOpen", "params": {"textDocument": item}})
    position = {"line": 3, "character": 8}
    doc = {"uri": URI}
    inline_ids, complete_ids = set(range(100, 150)), set(range(200, 250))
    for n in range(50):  # written back to back: well within 50 ms
        trigger = {"triggerKind": 1}
        params = {"textDocument": doc, "position": position, "context": trigger}
        server.send({"id": 100 + n, "method": "textDocument/inlineCompletion", "params": params})
        if n % 2 == 0:
            server.send({"method": "$/cancelRequest", "params": {"id": 100 + n}})
        at = {"line": 2, "character": 15}  # "    for v in va|lues": the dropdown for "va"
        server.send(
            {
                "id": 200 + n,
                "method": "textDocument/completion",
                "params": {"textDocument": doc, "position": at},
            }
        )
    answers = _collect(server, inline_ids | complete_ids)
    # A request sent after the burst is answered after any stray second answer would be.
    after = _stats(server, 999)
    late = _collect(server, set())  # nothing pending: returns at once
    counts = Counter({k: len(v) for k, v in answers.items()})
    counts.update({k: len(v) for k, v in late.items()})
    assert set(counts) == inline_ids | complete_ids
    assert set(counts.values()) == {1}, counts
    for msg_id in inline_ids:
        reply = answers[msg_id][0]
        assert "result" in reply or reply["error"]["code"] == REQUEST_CANCELLED, reply
    assert "result" in answers[149][0]  # the newest, never cancelled, is answered with a result
    for msg_id in complete_ids:
        result = answers[msg_id][0]["result"]
        labels = [i["label"] for i in (result["items"] if isinstance(result, dict) else result)]
        assert "values" in labels
    assert after["inline"]["requests"] >= 1
    assert after["completion"]["requests"] == 50
