"""RemoteBackend's trust and failure handling against a scripted HTTP server on loopback."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from glm_lsp.model.backend import CancelToken, GenerationRequest, ModelLoadError, ModelRequestError
from glm_lsp.model.remote import API_KEY_ENV, RemoteBackend

KEY = "sk-test-0123456789abcdef"


class Fake:
    """A server whose answers the test scripts; records every request's path and headers."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.delay_s = 0.0
        self.redirect_to: str | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _answer(self) -> None:
                fake.requests.append((self.path, dict(self.headers.items())))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if fake.redirect_to is not None:
                    self.send_response(302)
                    self.send_header("Location", fake.redirect_to + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                time.sleep(fake.delay_s)
                if self.path.endswith("/models"):
                    body = json.dumps({"data": [{"id": "fake-model"}]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                else:
                    events = [{"choices": [{"text": t}]} for t in ("ret", "urn x")]
                    events.append({"choices": [{"text": "", "finish_reason": "stop"}]})
                    lines = [f"data: {json.dumps(e)}\n\n" for e in events] + ["data: [DONE]\n\n"]
                    body = "".join(lines).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake() -> Iterator[Fake]:
    server = Fake()
    yield server
    server.close()


REQ = GenerationRequest(prompt="def f():\n    ", max_tokens=8)


def test_api_key_from_the_environment_only_and_never_logged(
    fake: Fake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    backend = RemoteBackend(fake.url + "/v1", env={API_KEY_ENV: KEY})
    backend.load()
    gen = backend.generate(REQ)
    assert gen.text == "return x" and gen.finish_reason == "stop"
    assert [h.get("Authorization") for _, h in fake.requests] == [f"Bearer {KEY}"] * 2
    assert KEY not in caplog.text + repr(backend) + json.dumps(backend.info())
    # No key in the environment: no Authorization header at all.
    fake.requests.clear()
    RemoteBackend(fake.url, env={}).load()
    assert "Authorization" not in fake.requests[0][1]


@pytest.mark.parametrize(
    "url", ["http://example.com/v1", "http://10.1.2.3:8080", "http://user:pw@127.0.0.1:1/v1"]
)
def test_unsafe_urls_are_refused_before_any_connection(url: str) -> None:
    backend = RemoteBackend(url, env={API_KEY_ENV: KEY})
    with pytest.raises(ModelLoadError, match=r"refusing plain http|credentials") as err:
        backend.load()
    assert KEY not in str(err.value)
    assert not backend.loaded


def test_loopback_and_https_urls_are_accepted() -> None:
    for url in ("http://localhost:1", "http://[::1]:1", "https://example.com/v1"):
        RemoteBackend(url)._target()


def test_redirects_are_not_followed(fake: Fake) -> None:
    elsewhere = Fake()
    try:
        fake.redirect_to = elsewhere.url
        backend = RemoteBackend(fake.url, env={API_KEY_ENV: KEY})
        with pytest.raises(ModelLoadError, match="redirect"):
            backend.load()
        assert elsewhere.requests == []  # neither the key nor the prompt went there
    finally:
        elsewhere.close()


def test_cancel_is_seen_while_waiting_for_the_first_byte(fake: Fake) -> None:
    backend = RemoteBackend(fake.url)
    backend.load()
    fake.delay_s = 3.0  # a long prompt evaluation on the server
    token = CancelToken()
    threading.Timer(0.2, token.cancel).start()
    start = time.monotonic()
    gen = backend.generate(REQ, token)
    assert gen.cancelled and time.monotonic() - start < 1.5


def test_no_first_byte_in_time_is_a_request_error(fake: Fake) -> None:
    backend = RemoteBackend(fake.url, first_byte_timeout_s=0.3)
    backend.load()
    fake.delay_s = 3.0
    start = time.monotonic()
    with pytest.raises(ModelRequestError, match="no answer"):
        backend.generate(REQ)
    assert time.monotonic() - start < 1.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_server_down_at_start_is_retried_with_backoff() -> None:
    """Today one failed load left the model off for the session."""
    port = _free_port()
    clock = Clock()
    backend = RemoteBackend(f"http://127.0.0.1:{port}", clock=clock)
    backend.load()  # not an error: the server may come up later
    assert backend.loaded and not backend.info()["reachable"]
    with pytest.raises(ModelRequestError, match="unreachable"):
        backend.generate(REQ)  # within the backoff: no connection attempted
    server = Fake(port)
    try:
        with pytest.raises(ModelRequestError, match="next try"):
            backend.generate(REQ)  # still backing off
        clock.now += 61.0
        gen = backend.generate(REQ)
        assert gen.text == "return x"
        assert backend.info()["reachable"] and backend.model == "fake-model"
    finally:
        server.close()


def test_backoff_grows_and_is_capped() -> None:
    clock = Clock()
    backend = RemoteBackend(
        f"http://127.0.0.1:{_free_port()}", clock=clock, retry_initial_s=1.0, retry_max_s=4.0
    )
    backend.load()
    waits: list[float] = []
    for _ in range(5):
        clock.now = backend._retry_at
        start = clock.now
        with pytest.raises(ModelRequestError):
            backend.generate(REQ)
        waits.append(backend._retry_at - start)
    assert waits == [2.0, 4.0, 4.0, 4.0, 4.0]


def test_wait_for_server_false_fails_the_load() -> None:
    backend = RemoteBackend(f"http://127.0.0.1:{_free_port()}", wait_for_server=False)
    with pytest.raises(ModelLoadError, match="unreachable"):
        backend.load()
