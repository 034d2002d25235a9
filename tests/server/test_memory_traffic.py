"""Memory stays bounded under random and malformed traffic (issue 11).

The server gets :mod:`traffic`'s messages over stdio. RSS after a warm-up (the first
:data:`WARMUP` messages: parsers, grammars and caches loaded, the allocator's arenas grown) is
compared with RSS after :data:`TOTAL`; before the fix it grew ~5x over the same traffic.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from raw_client import RawServer
from traffic import Traffic

WARMUP = 300
TOTAL = 1500
MAX_GROWTH = 1.3


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Drain:
    """Reads every message the server sends, so its writes never block; answers its requests
    and records which of our requests were answered."""

    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.answered: set[Any] = set()
        self.cond = threading.Condition()
        threading.Thread(target=self.run, daemon=True).start()

    def run(self) -> None:
        while True:
            try:
                message = self.server.read()
            except (EOFError, ValueError, OSError):
                return
            if "method" in message:
                if "id" in message:
                    self.server.send({"id": message["id"], "result": None})
                continue
            with self.cond:
                self.answered.add(message.get("id"))
                self.cond.notify_all()

    def wait(self, msg_id: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while msg_id not in self.answered:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


def settle(server: RawServer, drain: Drain, msg_id: int) -> int:
    """RSS once the server answered everything sent so far and background work settled."""
    server.send(
        {
            "id": msg_id,
            "method": "workspace/executeCommand",
            "params": {"command": "glm-lsp.stats", "arguments": []},
        }
    )
    assert drain.wait(msg_id, 300), "the server stopped answering"
    time.sleep(3.0)  # debounced index updates (1 s) and background extraction
    return rss_kb(server.proc.pid)


def run_traffic(tmp_path: Path, seed: int = 11) -> tuple[int, int]:
    server = RawServer(tmp_path / "cache")
    try:
        server.initialize(options={"model": {"backend": "none"}})
        drain = Drain(server)
        uris = [(tmp_path / f"f{i}.py").as_uri() for i in range(3)] + ["untitled:Untitled-1"]
        traffic = Traffic(seed, uris)
        before = 0
        for n, message in enumerate(traffic.messages(), start=1):
            body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
            server.write_body(body)
            if "id" in message and n % 20 == 0:
                # Keep at most a few requests in flight: the test measures what is kept, not
                # how much a backlog of unread input takes.
                assert drain.wait(message["id"], 300), f"no answer to {message['method']}"
            if n == WARMUP:
                before = settle(server, drain, 1)
            if n == TOTAL:
                return before, settle(server, drain, 2)
        raise AssertionError("unreachable")
    finally:
        server.close()


@pytest.mark.slow
def test_rss_bounded_under_random_traffic(tmp_path: Path) -> None:
    before, after = run_traffic(tmp_path)
    assert after < before * MAX_GROWTH, (
        f"RSS grew from {before // 1024} MB after {WARMUP} messages to {after // 1024} MB "
        f"after {TOTAL}"
    )
