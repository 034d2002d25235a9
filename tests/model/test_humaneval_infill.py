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


def _row(out: str) -> list[str]:
    """The cells of the result table's one data row."""
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    return [cell.strip() for cell in rows[-1].strip("|").split("|")]


def test_oracle_passes_the_humaneval_reconstruction(capsys: pytest.CaptureFixture[str]) -> None:
    """The first tasks of the reconstructed single-line set, canonical lines put back: all pass
    (the full 1033-task oracle run takes about a minute: see the harness's docstring)."""
    assert he.main(["--humaneval-single-line", "--oracle", "--limit", "25"]) == 0
    cells = _row(capsys.readouterr().out)
    assert cells[0] == "HumanEval single-line (reconstructed)"
    assert cells[2:5] == ["25", "25", "100.0%"]


@pytest.mark.slow
def test_model_run_trims_prompts_that_do_not_fit(capsys: pytest.CaptureFixture[str]) -> None:
    """The random-weights test model, end to end; a 256-token context forces trimming."""
    assert he.main(["--humaneval-single-line", "--limit", "3", "--context", "4096"]) == 0
    roomy = _row(capsys.readouterr().out)
    assert roomy[2] == "3" and roomy[5] == "0"
    assert he.main(["--humaneval-single-line", "--limit", "3", "--context", "256"]) == 0
    tight = _row(capsys.readouterr().out)
    assert tight[2] == "3" and tight[5] == "3" and tight[6] == "256"
