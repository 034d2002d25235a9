"""Emacs 28 + eglot 1.9 (`emacs --batch`) with the README's eglot configuration and the real server.

eglot has no ghost text; this checks that the dropdown arrives through completion-at-point with
our items in our order. The wrapper requires the driver's summary line and check count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from editor_support import DOT_LINE, SAMPLE_MEMBERS, require_tool, run_driver

DRIVER = Path(__file__).with_name("eglot_e2e.el")
EXPECTED_CHECKS = 3

pytestmark = pytest.mark.slow


def test_eglot_completion(
    sample_workspace: Path,
    server_cmd: list[str],
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    emacs = require_tool("emacs", "run `.ci/editors.sh` (apt-get install emacs-nox elpa-eglot)")
    env = dict(isolated_env)
    env.update(
        HOME=str(tmp_path),
        GLM_E2E_CMD=json.dumps(server_cmd),
        GLM_E2E_FILE=str(sample_workspace / "sample.py"),
        GLM_E2E_DOT_LINE=str(DOT_LINE),
        GLM_E2E_MEMBERS=",".join(SAMPLE_MEMBERS),
        GLM_E2E_SETTINGS=json.dumps(
            {"cache": {"dir": str(tmp_path / "cache")}, "model": {"backend": "none"}}
        ),
    )
    # --batch skips the user init file but keeps Debian's site-start (which activates elpa-eglot).
    run_driver(
        [emacs, "--batch", "-l", str(DRIVER)],
        env,
        EXPECTED_CHECKS,
        timeout=180,
        cwd=sample_workspace,
    )
