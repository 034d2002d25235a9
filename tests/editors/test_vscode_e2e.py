"""VS Code (code-server 4.100.3 in headless chromium) with the packaged extension and real server.

Opens the sample workspace, reads the suggest widget from the DOM and compares it with the
server's own ranking, triggers ghost text, accepts it with Tab, saves, checks the file on disk and
the status bar. The node driver (vscode_e2e.js) does the work; this wrapper requires its summary
line with the expected number of checks, so a driver that dies early cannot pass.
"""

from __future__ import annotations

import json
import subprocess
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

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "vscode_e2e.js"
NODE_MODULES = HERE / "node" / "node_modules"
EXPECTED_CHECKS = 14

pytestmark = pytest.mark.slow


def build_vsix(out: Path) -> Path:
    vsce = EDITORS / "vscode" / "node_modules" / ".bin" / "vsce"
    assert vsce.exists(), f"{vsce} missing; run `.ci/editors.sh`"
    proc = subprocess.run(
        [str(vsce), "package", "--skip-license", "-o", str(out)],
        cwd=EDITORS / "vscode",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_vscode_end_to_end(
    sample_workspace: Path,
    server_cmd: list[str],
    tiny_model: Path | None,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    node = require_tool("node", "install Node.js 20 (see .ci/editors.sh)")
    require_tool("chromium", "run `.ci/editors.sh` (apt-get install chromium)")
    for dep in ("code-server", "playwright-core"):
        assert (NODE_MODULES / dep).exists(), f"{dep} missing in {NODE_MODULES}; run .ci/editors.sh"
    vsix = build_vsix(tmp_path / "glm-lsp.vsix")
    env = dict(isolated_env)
    env.update(
        HOME=str(tmp_path / "home"),
        GLM_E2E_VSIX=str(vsix),
        GLM_E2E_WORKSPACE=str(sample_workspace),
        GLM_E2E_FILE="sample.py",
        GLM_E2E_CMD=json.dumps(server_cmd),
        GLM_E2E_MODEL=str(tiny_model) if tiny_model else "",
        GLM_E2E_DOT_LINE=str(DOT_LINE),
        GLM_E2E_GHOST_LINE=str(GHOST_LINE),
        GLM_E2E_MEMBERS=",".join(SAMPLE_MEMBERS),
        GLM_E2E_TMP=str(tmp_path / "e2e"),
    )
    (tmp_path / "home").mkdir()
    run_driver([node, str(DRIVER)], env, EXPECTED_CHECKS, timeout=540)
