"""A client that dies (stdin EOF) takes the server with it within seconds (issue 11).

Before the fix the server finished indexing its workspace first (~25 s on the standard library):
the index thread is not a daemon, and the interpreter joins it at exit.
"""

from __future__ import annotations

import subprocess
import sysconfig
import time
from pathlib import Path

import pytest
from raw_client import RawServer

EXIT_WITHIN_S = 5.0


@pytest.mark.slow
def test_stdin_eof_mid_index_exits_promptly(tmp_path: Path) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    server = RawServer(tmp_path / "cache")
    try:
        server.send(
            {
                "id": 0,
                "method": "initialize",
                "params": {
                    "processId": None,
                    "rootUri": stdlib.as_uri(),
                    "capabilities": {},
                    "initializationOptions": {"model": {"backend": "none"}},
                },
            }
        )
        assert "result" in server.read_response(0)
        server.send({"method": "initialized", "params": {}})
        time.sleep(1.5)  # the index build of ~1,000 files is under way
        assert server.proc.poll() is None
        assert server.proc.stdin is not None
        started = time.monotonic()
        server.proc.stdin.close()
        try:
            server.proc.wait(timeout=EXIT_WITHIN_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server was still running {EXIT_WITHIN_S} s after stdin closed")
        assert time.monotonic() - started < EXIT_WITHIN_S
    finally:
        server.close()
