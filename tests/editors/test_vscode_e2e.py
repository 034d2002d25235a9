"""VS Code (code-server 4.100.3 in headless chromium) with the packaged extension and real server.

Opens the sample workspace, reads the suggest widget from the DOM and compares it with the
server's own ranking, triggers ghost text, accepts it with Tab, saves, checks the file on disk and
the status bar. The node driver (vscode_e2e.js) does the work; this wrapper requires its summary
line with the expected number of checks, so a driver that dies early cannot pass.

A second driver (vscode_install_e2e.js) starts from an interpreter without glm_lsp and no
glm-lsp on PATH: the extension offers to install the server, the driver clicks "Install", pip
installs this project's wheel offline, and the installed server answers a completion.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from editor_support import (
    DOT_LINE,
    EDITORS,
    GHOST_LINE,
    REPO,
    SAMPLE_MEMBERS,
    require_tool,
    run_driver,
)

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "vscode_e2e.js"
INSTALL_DRIVER = HERE / "vscode_install_e2e.js"
INSTALL_CHECKS = 14
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


# What building the wheel needs from the checkout (no tests, editors, models, venvs, build output).
_NOT_BUILT = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
    ".mypy_cache", ".ruff_cache", ".pytest_cache",
)  # fmt: skip
_TOP_LEVEL_NOT_BUILT = {"tests", "editors", "models", "scripts"}


def _build_ignore(directory: str, names: list[str]) -> set[str]:
    ignored = set(_NOT_BUILT(directory, names))
    if Path(directory) == REPO:
        ignored |= _TOP_LEVEL_NOT_BUILT & set(names)
    return ignored


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> None:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, (
        f"{cmd} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )


def cached_llama_wheels() -> list[Path]:
    """llama-cpp-python wheels pip built and cached here (as the wheel test finds them), so
    neither the wheelhouse nor the editor's install compiles it again."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "list", "--format=abspath", "llama_cpp_python*"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return [Path(line) for line in proc.stdout.splitlines() if line.endswith(".whl")]


def build_wheelhouse(tmp: Path) -> Path:
    """This project's wheel and the wheels of its dependencies, in one directory.

    Building it may use the configured package index (and pip's cache); the install the test is
    about then runs offline from this directory alone (PIP_NO_INDEX, PIP_FIND_LINKS).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    src = tmp / "src"
    shutil.copytree(REPO, src, ignore=_build_ignore)
    house = tmp / "wheelhouse"
    links = tmp / "llama-links"
    links.mkdir()
    for wheel in cached_llama_wheels():
        shutil.copy2(wheel, links / wheel.name)
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", str(src), "-w", str(house)],
         cwd=tmp, env=env, timeout=600)  # fmt: skip
    (wheel,) = house.glob("glm_lsp-*.whl")
    _run([*pip, "wheel", "--find-links", str(links), str(wheel), "-w", str(house)],
         cwd=tmp, env=env, timeout=900)  # fmt: skip
    return house


def offline_pip_env(env: dict[str, str], wheelhouse: Path) -> dict[str, str]:
    """No pip configuration and no index: pip sees the wheelhouse and nothing else."""
    out = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    out.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse))
    return out


def path_without_server(path: str) -> str:
    """PATH minus every directory that holds a `glm-lsp` (the dev venv's among them)."""
    dirs = [d for d in path.split(os.pathsep) if d and not (Path(d) / "glm-lsp").exists()]
    return os.pathsep.join(dirs)


def test_vscode_installs_a_missing_server(
    sample_workspace: Path,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    node = require_tool("node", "install Node.js 20 (see .ci/editors.sh)")
    require_tool("chromium", "run `.ci/editors.sh` (apt-get install chromium)")
    for dep in ("code-server", "playwright-core"):
        assert (NODE_MODULES / dep).exists(), f"{dep} missing in {NODE_MODULES}; run .ci/editors.sh"
    vsix = build_vsix(tmp_path / "glm-lsp.vsix")
    wheelhouse = build_wheelhouse(tmp_path)
    venv = tmp_path / "fresh-venv"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=clean, timeout=300)
    python = venv / "bin" / "python"

    env = offline_pip_env(isolated_env, wheelhouse)
    env = {k: v for k, v in env.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = path_without_server(env["PATH"])
    assert shutil.which("glm-lsp", path=env["PATH"]) is None
    env.update(
        HOME=str(tmp_path / "home"),
        GLM_E2E_VSIX=str(vsix),
        GLM_E2E_WORKSPACE=str(sample_workspace),
        GLM_E2E_FILE="sample.py",
        GLM_E2E_PYTHON=str(python),
        GLM_E2E_DOT_LINE=str(DOT_LINE),
        GLM_E2E_MEMBERS=",".join(SAMPLE_MEMBERS),
        GLM_E2E_TMP=str(tmp_path / "e2e"),
    )
    (tmp_path / "home").mkdir()
    run_driver([node, str(INSTALL_DRIVER)], env, INSTALL_CHECKS, timeout=900)
