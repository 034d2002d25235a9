"""A scripted OpenAI-compatible completions server on loopback (what a team's llama.cpp or
vLLM server speaks): every completion answers ``answer``, streamed in two pieces."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.prompts: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _reply(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._reply(json.dumps({"data": [{"id": "fake"}]}).encode(), "application/json")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/completions"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                fake.prompts.append(str(request.get("prompt", "")))
                half = len(fake.answer) // 2
                pieces = [fake.answer[:half], fake.answer[half:]]
                if request.get("stream"):
                    events = [{"choices": [{"text": p, "index": 0}]} for p in pieces]
                    events.append({"choices": [{"text": "", "index": 0, "finish_reason": "stop"}]})
                    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
                    self._reply((body + "data: [DONE]\n\n").encode(), "text/event-stream")
                else:
                    choice = {"text": fake.answer, "index": 0, "finish_reason": "stop"}
                    self._reply(json.dumps({"choices": [choice]}).encode(), "application/json")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def fake_server(answer: str) -> Iterator[FakeOpenAI]:
    """Body of a pytest fixture: the server for the test, closed after it."""
    server = FakeOpenAI(answer)
    yield server
    server.close()
