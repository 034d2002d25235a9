"""Pure-Lua behaviour of the Neovim plugin (option validation, model state), table-driven in Lua."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from editor_support import EDITORS, require_tool

DRIVER = Path(__file__).with_name("nvim_unit.lua")
EXPECTED_CHECKS = 33
SUMMARY = re.compile(r"^(\d+) check\(s\), (\d+) failure\(s\)$", re.MULTILINE)


def test_neovim_plugin_units() -> None:
    nvim = require_tool("nvim", "install it with `pip install -e '.[dev]'`")
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-l", str(DRIVER), str(EDITORS / "neovim")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = proc.stdout + proc.stderr
    summary = SUMMARY.search(proc.stdout)
    assert summary is not None, f"driver never reached its summary line:\n{output}"
    assert summary.group(2) == "0", output
    assert int(summary.group(1)) == EXPECTED_CHECKS, output
    assert proc.returncode == 0, output
