"""Protocol edges pygls leaves silent: bad JSON, bad params, requests after shutdown, exit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from raw_client import RawServer

from glm_lsp.protocol import describe_failure

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    raw = RawServer(tmp_path / "cache")
    raw.initialize()
    yield raw
    raw.close()


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"jsonrpc": "2.0", "id": 1, "method"', b"\xff\xfe"]
)
def test_unparseable_body_gets_parse_error_and_server_goes_on(
    server: RawServer, body: bytes
) -> None:
    server.write_body(body)
    reply = server.read_response(None)
    assert reply["error"]["code"] == -32700
    server.send(
        {"id": 5, "method": "workspace/executeCommand", "params": {"command": "glm-lsp.stats"}}
    )
    assert "completion" in server.read_response(5)["result"]


def test_invalid_params_are_answered(server: RawServer) -> None:
    server.send(
        {
            "id": 7,
            "method": "textDocument/completion",
            "params": {"textDocument": {"uri": "file:///a.py"}, "position": {"line": -4}},
        }
    )
    reply = server.read_response(7)
    assert reply["error"]["code"] == -32602
    assert "textDocument/completion" in reply["error"]["message"]


def test_requests_after_shutdown_are_refused_and_exit_is_prompt(server: RawServer) -> None:
    server.send({"id": 1, "method": "shutdown"})
    assert server.read_response(1)["result"] is None
    server.send(
        {"id": 2, "method": "workspace/executeCommand", "params": {"command": "glm-lsp.stats"}}
    )
    assert server.read_response(2)["error"]["code"] == -32600
    server.send({"method": "exit"})
    assert server.proc.wait(timeout=10) == 0


def test_immediate_shutdown_is_clean(tmp_path: Path) -> None:
    """Shutdown racing the start-up index build: no stray task errors, exit code 0."""
    root = tmp_path / "ws"
    root.mkdir()
    for i in range(50):
        (root / f"m{i}.py").write_text(f"def f{i}(x: int) -> int:\n    return x\n", "utf-8")
    err = tmp_path / "stderr.txt"
    raw = RawServer(tmp_path / "cache", stderr=err)
    raw.send(
        {
            "id": 0,
            "method": "initialize",
            "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
        }
    )
    raw.read_response(0)
    raw.send({"method": "initialized", "params": {}})
    raw.send({"id": 1, "method": "shutdown"})
    raw.read_response(1)
    raw.send({"method": "exit"})
    assert raw.proc.wait(timeout=10) == 0
    text = err.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text
    assert "never retrieved" not in text


def test_exit_without_shutdown_exits_with_1(server: RawServer) -> None:
    server.send({"method": "exit"})
    assert server.proc.wait(timeout=10) == 1


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (None, "utf-16"),
        (["utf-16"], "utf-16"),
        (["utf-16", "utf-8"], "utf-8"),  # UTF-8 whenever offered, whatever its place
        (["utf-32", "utf-8", "utf-16"], "utf-8"),
        (["utf-32"], "utf-32"),
    ],
)
def test_position_encoding_negotiation(
    tmp_path: Path, offered: list[str] | None, chosen: str
) -> None:
    raw = RawServer(tmp_path / "cache")
    try:
        caps = {} if offered is None else {"general": {"positionEncodings": offered}}
        result = raw.initialize(caps)
        assert result["capabilities"]["positionEncoding"] == chosen
    finally:
        raw.close()


STRAY = """
import os, sys
import glm_lsp.features.lifecycle as lifecycle

original = lifecycle.apply_settings

def noisy_apply(ls, raw, *, announce):
    print("stray print from a library")   # Python-level stdout
    os.write(1, b"stray bytes from C code\\n")  # what llama.cpp's logging does
    return original(ls, raw, announce=announce)

lifecycle.apply_settings = noisy_apply
"""


def test_stray_stdout_writes_never_reach_the_protocol(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(STRAY, encoding="utf-8")
    raw = RawServer(tmp_path / "cache", {"PYTHONPATH": str(shim)})
    try:
        result = raw.initialize()  # parsing would fail if the strays were on stdout
        assert result["serverInfo"]["name"] == "glm-lsp"
        raw.send({"id": 3, "method": "shutdown"})
        assert raw.read_response(3)["result"] is None
    finally:
        raw.close()


def test_describe_failure_digs_out_the_cause() -> None:
    try:
        try:
            raise ValueError("line must be >= 0\nmore detail")
        except ValueError as inner:
            raise RuntimeError("outer") from inner
    except RuntimeError as exc:
        assert describe_failure(exc) == "line must be >= 0"


def test_notifications_leave_no_future_behind(tmp_path: Path) -> None:
    """pygls kept the Future of every didOpen/didChange/didClose (its generator handlers)
    in ``_request_futures`` forever: one per keystroke (10,177 after the soak benchmark)."""
    import asyncio
    import json as _json

    from glm_lsp.cli import create_server

    server = create_server()
    protocol = server.protocol
    sent: list[bytes] = []

    class Writer:
        def write(self, data: bytes) -> None:
            sent.append(data)

        def close(self) -> None:
            pass

    protocol.set_writer(Writer())  # type: ignore[arg-type]

    def deliver(message: dict[str, object]) -> None:
        body = _json.dumps({"jsonrpc": "2.0", **message})
        protocol.handle_message(_json.loads(body, object_hook=protocol.structure_message))

    async def session() -> None:
        deliver(
            {
                "id": 1,
                "method": "initialize",
                "params": {
                    "processId": None,
                    "rootUri": None,
                    "capabilities": {},
                    "initializationOptions": {
                        "model": {"backend": "none"},
                        "cache": {"dir": str(tmp_path / "cache")},
                    },
                },
            }
        )
        deliver({"method": "initialized", "params": {}})
        uri = (tmp_path / "a.py").as_uri()
        item = {"uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}
        deliver({"method": "textDocument/didOpen", "params": {"textDocument": item}})
        for version in range(2, 52):
            change = {
                "range": {
                    "start": {"line": 1, "character": 0},
                    "end": {"line": 1, "character": 0},
                },
                "text": "y",
            }
            deliver(
                {
                    "method": "textDocument/didChange",
                    "params": {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [change],
                    },
                }
            )
        deliver({"method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})
        await asyncio.sleep(0.05)
        assert len(protocol._request_futures) == 0
        if server.engine is not None:
            server.engine.close()

    asyncio.run(session())


def test_an_unreadable_message_is_one_log_line_not_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from glm_lsp.cli import create_server
    from glm_lsp.protocol import HANDLED

    protocol = create_server().protocol
    bad = {
        "jsonrpc": "2.0",
        "method": "textDocument/didChange",
        "params": {
            "textDocument": {"uri": "file:///a.py", "version": 2},
            "contentChanges": [{"range": {"start": [], "end": []}, "text": "x"}],
        },
    }
    with caplog.at_level(logging.DEBUG):
        assert protocol.structure_message(bad) is HANDLED
    messages = [r.getMessage() for r in caplog.records]
    assert not any("Traceback" in m or "Unable to deserialize" in m for m in messages), messages
    assert any("dropping malformed textDocument/didChange" in m for m in messages), messages
