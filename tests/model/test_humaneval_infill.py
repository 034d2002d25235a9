"""The quality harness: its sandbox contains bad programs, and the oracle run scores 100%."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "humaneval_infill.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("humaneval_infill", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["humaneval_infill"] = module
    spec.loader.exec_module(module)
    return module


he = _load()


@pytest.mark.parametrize(
    ("program", "ok", "error"),
    [
        ("assert 1 + 1 == 2\n", True, ""),
        ("assert False\n", False, "AssertionError"),
        ("while True:\n    pass\n", False, "timeout"),
        ("import socket\nsocket.create_connection(('127.0.0.1', 9))\n", False, "disabled"),
        ("x = bytearray(4 << 30)\n", False, "MemoryError"),
        (
            "import os\nprint(os.environ.get('HOME'))\nassert os.getcwd().startswith('/tmp')\n",
            True,
            "",
        ),
    ],
)
def test_sandbox(program: str, ok: bool, error: str) -> None:
    passed, message = he.run_sandboxed(program, timeout_s=2.0)
    assert passed is ok
    assert error in message


def test_oracle_scores_everything(capsys: pytest.CaptureFixture[str]) -> None:
    assert he.main(["--oracle"]) == 0
    out = capsys.readouterr().out
    assert "| 5 | 5 | 100.0% |" in out


def test_first_line() -> None:
    assert he.first_line("    return x\n    more\n") == "    return x\n"
    assert he.first_line("abc") == "abc\n"
