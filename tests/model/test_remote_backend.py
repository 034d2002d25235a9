"""RemoteBackend against a real ``llama_cpp.server`` on loopback running the tiny GLM."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from glm_lsp.model.backend import CancelToken, GenerationRequest, ModelLoadError
from glm_lsp.model.llama import default_tiny_model_path
from glm_lsp.model.remote import RemoteBackend
from glm_lsp.model.templates import CODEGEEX4, FimRequest

pytest.importorskip("llama_cpp.server.app")
pytestmark = pytest.mark.slow

PROMPT = CODEGEEX4.render(
    FimRequest(prefix="def double(x):\n    return", suffix="\n", path="d.py", language="Python")
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(default_tiny_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/v1/models", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_load_and_generate(server_url: str) -> None:
    backend = RemoteBackend(server_url + "/v1")
    backend.load()
    assert backend.loaded and backend.info()["server_models"]
    gen = backend.generate(GenerationRequest(prompt=PROMPT, max_tokens=8))
    assert 0 < gen.generated_tokens <= 8
    assert gen.finish_reason in ("length", "stop")
    assert not gen.cancelled


def test_stop_string_cuts_text(server_url: str) -> None:
    backend = RemoteBackend(server_url)
    backend.load()
    free = backend.generate(GenerationRequest(prompt=PROMPT, max_tokens=16))
    assert len(free.text) > 2
    stop = free.text[1:3]
    cut = backend.generate(GenerationRequest(prompt=PROMPT, max_tokens=16, stop_strings=(stop,)))
    assert stop not in cut.text
    assert free.text.startswith(cut.text)


def test_cancel_mid_stream(server_url: str) -> None:
    backend = RemoteBackend(server_url)
    backend.load()
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    gen = backend.generate(GenerationRequest(prompt=PROMPT, max_tokens=1500), token)
    assert gen.finish_reason in ("cancelled", "stop")  # the tiny model may end on its own first
    if gen.cancelled:
        assert gen.generated_tokens < 1500


def test_tokenize_through_server(server_url: str) -> None:
    backend = RemoteBackend(server_url)
    assert len(backend.tokenize("[gMASK]<sop>")) == 2


def test_unreachable_server_fails_fast() -> None:
    backend = RemoteBackend(
        f"http://127.0.0.1:{_free_port()}", connect_timeout_s=2, wait_for_server=False
    )
    with pytest.raises(ModelLoadError, match="unreachable"):
        backend.load()
    assert not backend.loaded
