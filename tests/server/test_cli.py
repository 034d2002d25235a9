"""The command line: version, one-shot completion, delegation, TCP serving, and the demo."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

from glm_lsp import __version__
from glm_lsp.cli import main
from glm_lsp.model.catalog import data_path

SAMPLE = data_path("sample_workspace")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLM_LSP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    monkeypatch.delenv("GLM_LSP_CATALOG", raising=False)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"glm-lsp {__version__}"


def _line_of(path: Path, needle: str) -> tuple[int, str]:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if needle in line:
            return i, line
    raise ValueError(needle)


def test_complete_json_on_sample(capsys: pytest.CaptureFixture[str]) -> None:
    path = SAMPLE / "inventory" / "service.py"
    line, text = _line_of(path, "return self.warehouse.quantity(sku) < level")
    character = text.index("warehouse")  # cursor right after "self."
    rc = main(
        [
            *("complete", str(path), "--line", str(line), "--character", str(character)),
            *("--json", "--workspace", str(SAMPLE)),
        ]
    )
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["context"]["receiver"] == "self"
    labels = [item["label"] for item in data["items"]]
    assert "warehouse" in labels[:3]
    assert all("features" in item and "score" in item for item in data["items"])


def test_complete_explain_shows_context_and_features(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = SAMPLE / "inventory" / "report.py"
    line, text = _line_of(path, "free = warehouse.free_capacity()")
    character = text.index("free_capacity")
    rc = main(
        ["complete", str(path), "--line", str(line), "--character", str(character), "--explain"]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "cursor context:" in out
    assert "receiver: warehouse" in out
    assert "match=" in out


@pytest.mark.parametrize(
    "content",
    [
        b"caf\xe9 = 1\ncaf",  # invalid UTF-8
        b"\x00\x01binary\x00\x02" * 100,  # binary
        b"def (((:\n ]]] class\nx.",  # syntax errors
        b"",  # empty
    ],
)
def test_complete_on_bad_files(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    rc = main(["complete", str(path), "--line", "1", "--character", "3", "--json"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data["items"], list)


def test_complete_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["complete", str(tmp_path / "missing.py"), "--line", "0", "--character", "0"]) == 1
    assert "cannot read" in capsys.readouterr().err
    path = tmp_path / "a.py"
    path.write_text("x = 1\n", encoding="utf-8")
    assert main(["complete", str(path), "--line", "-1", "--character", "0"]) == 2


def test_models_and_doctor_delegate(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 3

    for name in ("glm_lsp.model.models_cli", "glm_lsp.doctor"):
        module: Any = types.ModuleType(name)
        module.main = fake_main
        monkeypatch.setitem(sys.modules, name, module)
    assert main(["models", "pull", "codegeex4-all-9b"]) == 3
    assert main(["doctor", "--json"]) == 3
    assert seen == [["pull", "codegeex4-all-9b"], ["--json"]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _message(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_message(sock: socket.socket) -> dict[str, Any]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed"
        data += chunk
    header, rest = data.split(b"\r\n\r\n", 1)
    fields = dict(line.split(b":", 1) for line in header.split(b"\r\n"))
    length = int(fields[b"Content-Length"])
    while len(rest) < length:
        rest += sock.recv(65536)
    result: dict[str, Any] = json.loads(rest[:length])
    return result


@pytest.mark.slow
def test_tcp_transport(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "GLM_LSP_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "glm_lsp", "--tcp", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr").open("wb"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not listen"
                time.sleep(0.1)
        with sock:
            init = {"processId": None, "rootUri": None, "capabilities": {}}
            sock.sendall(
                _message({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init})
            )
            reply = _read_message(sock)
            assert reply["id"] == 1
            assert reply["result"]["serverInfo"]["name"] == "glm-lsp"
            sock.sendall(_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
            while _read_message(sock).get("id") != 2:
                pass
            sock.sendall(_message({"jsonrpc": "2.0", "method": "exit"}))
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stdout is not None
    assert proc.stdout.read() == b""  # nothing but the socket carries the protocol
    assert "no authentication" in (tmp_path / "stderr").read_text(encoding="utf-8")


def test_tcp_binds_loopback_by_default_and_warns() -> None:
    from glm_lsp.cli import build_parser, tcp_warning

    assert build_parser().parse_args(["--tcp"]).host == "127.0.0.1"
    assert "no authentication" in tcp_warning("127.0.0.1", 2087)
    assert "not a loopback" not in tcp_warning("::1", 2087)
    assert "not a loopback" in tcp_warning("0.0.0.0", 2087)


@pytest.mark.slow
def test_demo_runs_the_real_server(tmp_path: Path) -> None:
    env = {**os.environ, "GLM_LSP_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("GLM_LSP_MODEL", None)
    env.pop("GLM_LSP_CATALOG", None)
    done = subprocess.run(
        [sys.executable, "-m", "glm_lsp", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "connected to glm-lsp" in out
    assert "indexing done" in out
    assert out.count("\n== ") == 6  # every scenario ran
    assert "1. warehouse" in out  # self. in InventoryService
    assert "[stats]" in out
    # Ghost text from the embedded default, described truthfully (not "random"/"gibberish").
    assert "glm-code-tiny (glm-code-tiny-q8_0.gguf), the embedded default" in out
    assert "trained on Python" in out
    assert "gibberish" not in out and "random weights" not in out
    assert "[stats] model loaded: True" in out
