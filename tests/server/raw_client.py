"""A bare JSON-RPC client over a server subprocess' stdio, for messages no typed client sends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any


class RawServer:
    def __init__(
        self, cache: Path, extra_env: dict[str, str] | None = None, stderr: Path | None = None
    ) -> None:
        env = {**os.environ, "GLM_LSP_CACHE_DIR": str(cache), **(extra_env or {})}
        env.pop("GLM_LSP_MODEL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "glm_lsp", "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if stderr is None else stderr.open("wb"),
            env=env,
        )

    def write_body(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.write_body(json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8"))

    def read(self) -> dict[str, Any]:
        out = self.proc.stdout
        assert out is not None
        length = 0
        while True:
            line = out.readline()
            if not line:
                raise EOFError("server closed stdout")
            if line == b"\r\n":
                break
            # As strict as vscode-jsonrpc: anything but "Name: value" headers is a broken stream.
            name, sep, value = line.partition(b":")
            if not sep or not line.endswith(b"\r\n"):
                raise ValueError(f"not a header line: {line!r}")
            if name.strip().lower() == b"content-length":
                length = int(value)
        message: dict[str, Any] = json.loads(out.read(length))
        return message

    def read_response(self, msg_id: Any) -> dict[str, Any]:
        """The response with ``msg_id``, skipping notifications and server requests."""
        while True:
            message = self.read()
            if "method" in message:
                if "id" in message:  # a request from the server: answer it
                    self.send({"id": message["id"], "result": None})
                continue
            if message.get("id") == msg_id:
                return message

    def initialize(
        self, capabilities: dict[str, Any] | None = None, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self.send(
            {
                "id": 0,
                "method": "initialize",
                "params": {
                    "processId": None,
                    "rootUri": None,
                    "capabilities": capabilities or {},
                    "initializationOptions": options or {"model": {"backend": "none"}},
                },
            }
        )
        reply = self.read_response(0)
        assert "result" in reply, reply
        self.send({"method": "initialized", "params": {}})
        result: dict[str, Any] = reply["result"]
        return result

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait(timeout=30)


class Drain:
    """Reads every message ``server`` sends on a thread of its own (so the server's writes never
    block), answers its requests with ``null``, and keeps each response with the
    ``time.perf_counter()`` it arrived at (benchmarks time requests with it)."""

    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.responses: dict[Any, tuple[float, dict[str, Any]]] = {}
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
                self.responses[message.get("id")] = (time.perf_counter(), message)
                self.cond.notify_all()

    def wait(self, msg_id: Any, timeout: float) -> tuple[float, dict[str, Any]] | None:
        """``(arrival time, response)``, or ``None`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.responses[msg_id]
