"""Watched files and files from outside the workspace (issue 11).

The server registers ``workspace/didChangeWatchedFiles`` when the client allows dynamic
registration (checkouts and generated files then reach the index without a restart), and a file
opened from outside the workspace leaves the index when it is closed (it was re-read from disk
and kept before).
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from raw_client import RawServer


class Session:
    """A raw server whose messages are read on a thread (so a test can wait with a timeout)."""

    def __init__(self, tmp: Path, root: Path, capabilities: dict[str, Any]) -> None:
        self.server = RawServer(tmp / "cache")
        self.requests: queue.Queue[dict[str, Any]] = queue.Queue()
        self.responses: dict[Any, dict[str, Any]] = {}
        self.cond = threading.Condition()
        self.server.send(
            {
                "id": 0,
                "method": "initialize",
                "params": {
                    "processId": None,
                    "rootUri": root.as_uri(),
                    "capabilities": capabilities,
                    "initializationOptions": {"model": {"backend": "none"}},
                },
            }
        )
        threading.Thread(target=self._read, daemon=True).start()
        assert "result" in self.response(0)
        self.server.send({"method": "initialized", "params": {}})

    def _read(self) -> None:
        while True:
            try:
                message = self.server.read()
            except (EOFError, ValueError, OSError):
                return
            if "method" in message:
                if "id" in message:
                    self.requests.put(message)
                    self.server.send({"id": message["id"], "result": None})
                continue
            with self.cond:
                self.responses[message.get("id")] = message
                self.cond.notify_all()

    def response(self, msg_id: Any, timeout: float = 30) -> dict[str, Any]:
        with self.cond:
            assert self.cond.wait_for(lambda: msg_id in self.responses, timeout), msg_id
            return self.responses.pop(msg_id)

    def index_files(self, msg_id: int) -> int:
        self.server.send(
            {
                "id": msg_id,
                "method": "workspace/executeCommand",
                "params": {"command": "glm-lsp.stats", "arguments": []},
            }
        )
        files: int = self.response(msg_id)["result"]["index"]["files"]
        return files

    def registrations(self, timeout: float) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                request = self.requests.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if request["method"] == "client/registerCapability":
                found.extend(request["params"]["registrations"])
        return found

    def close(self) -> None:
        self.server.close()


def dynamic(enabled: bool) -> dict[str, Any]:
    return {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": enabled}}}


@pytest.mark.slow
def test_file_watchers_registered_with_dynamic_registration(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    session = Session(tmp_path, root, dynamic(True))
    try:
        found = session.registrations(timeout=10)
        watched = [r for r in found if r["method"] == "workspace/didChangeWatchedFiles"]
        assert watched, found
        patterns = [w["globPattern"] for w in watched[0]["registerOptions"]["watchers"]]
        assert any("py" in str(p) for p in patterns), patterns
    finally:
        session.close()


@pytest.mark.slow
def test_no_watchers_without_dynamic_registration(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    session = Session(tmp_path, root, dynamic(False))
    try:
        found = session.registrations(timeout=3)
        assert not [r for r in found if r["method"] == "workspace/didChangeWatchedFiles"]
    finally:
        session.close()


@pytest.mark.slow
def test_file_from_outside_the_workspace_leaves_the_index_on_close(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "inside.py").write_text("def inside():\n    return 1\n")
    outside = tmp_path / "elsewhere" / "outside.py"
    outside.parent.mkdir()
    outside.write_text("def outside():\n    return 2\n")
    session = Session(tmp_path, root, {})
    try:
        deadline = time.monotonic() + 20
        while session.index_files(1) < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        item = {"uri": outside.as_uri(), "languageId": "python", "version": 1}
        text = outside.read_text()
        session.server.send(
            {"method": "textDocument/didOpen", "params": {"textDocument": {**item, "text": text}}}
        )
        deadline = time.monotonic() + 10
        while session.index_files(2) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert session.index_files(3) == 2  # the open file is indexed while open
        session.server.send(
            {"method": "textDocument/didClose", "params": {"textDocument": {"uri": item["uri"]}}}
        )
        time.sleep(1.5)
        assert session.index_files(4) == 1
    finally:
        session.close()
