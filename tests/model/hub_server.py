"""A Hugging Face hub on loopback: enough of its file API for ``huggingface_hub.hf_hub_download``.

``HEAD``/``GET /{org}/{repo}/resolve/{revision}/{filename}`` answer with the headers the client
reads (``X-Repo-Commit``, ``ETag``, ``Content-Length``, ``Accept-Ranges``) and honour ``Range``
(``206`` with ``Content-Range``), which is how an interrupted download resumes. ``stall_after``
makes the next full GET send that many bytes and then hang (until :meth:`release`), so a test
can interrupt a download half-way like a user pressing Ctrl-C. Every request is recorded.
Point huggingface_hub at it with ``HF_ENDPOINT=hub.url``.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

COMMIT = "0123456789abcdef0123456789abcdef01234567"
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")


def write_small_gguf(path: Path, n_floats: int, seed: int) -> bytes:
    """A well-formed GGUF (``chatglm`` architecture, one F32 tensor) of about ``4 * n_floats``
    bytes, written with the ``gguf`` package; returns its bytes."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "chatglm")
    writer.add_name(f"pull-test-{seed}")
    writer.add_context_length(64)
    data = np.random.default_rng(seed).standard_normal(n_floats).astype(np.float32)
    writer.add_tensor("token_embd.weight", data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


@dataclass
class Request:
    method: str
    path: str
    range: str | None
    sent: int = 0


@dataclass
class Hub:
    url: str = ""
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    stall_after: int | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)

    def add(self, repo: str, filename: str, data: bytes) -> str:
        """Serve ``data``; returns its sha256."""
        self.files[(repo, filename)] = data
        return hashlib.sha256(data).hexdigest()

    def release(self) -> None:
        self._release.set()

    def gets(self) -> list[Request]:
        """File downloads (huggingface_hub may also call other API routes, answered 404)."""
        return [r for r in self.requests if r.method == "GET" and "/resolve/" in r.path]


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            req = Request(self.command, self.path, self.headers.get("Range"))
            hub.requests.append(req)
            match = _RESOLVE.match(self.path.split("?")[0])
            data = hub.files.get((match["repo"], match["file"])) if match else None
            if data is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            ranged = re.match(r"bytes=(\d+)-$", req.range or "")
            if ranged and body:
                start = int(ranged[1])
            part = data[start:]
            self.send_response(206 if start else 200)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(part) if body else len(data)))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if not body:
                return
            stall = hub.stall_after if not start else None
            if stall is not None:
                hub.stall_after = None
                self.wfile.write(part[:stall])
                self.wfile.flush()
                req.sent = stall
                hub.stalled.set()
                hub._release.wait(60)
                self.close_connection = True
                return
            try:
                self.wfile.write(part)
                req.sent = len(part)
            except OSError:
                pass

    return Handler


class HubServer:
    """Context manager: a :class:`Hub` served on ``127.0.0.1`` from a background thread."""

    def __init__(self) -> None:
        self.hub = Hub()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.hub))
        self._server.daemon_threads = True
        self.hub.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Hub:
        self._thread.start()
        return self.hub

    def __exit__(self, *exc: object) -> None:
        self.hub.release()
        self._server.shutdown()
        self._server.server_close()
