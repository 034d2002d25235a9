"""The VS Code extension type-checks, lints, passes its unit tests and packages into a .vsix."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from editor_support import EDITORS, require_tool

VSCODE = EDITORS / "vscode"


def npx(*args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    require_tool("node", "install Node.js 20 (see .ci/editors.sh)")
    local = VSCODE / "node_modules" / ".bin" / args[0]
    assert local.exists(), f"{local} missing; run `.ci/editors.sh` (npm ci in {VSCODE})"
    return subprocess.run(
        [str(local), *args[1:]],
        cwd=VSCODE,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_typescript_compiles_without_errors() -> None:
    proc = npx("tsc", "-p", ".", "--noEmit")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_eslint_clean() -> None:
    proc = npx("eslint", "src")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_launch_order_unit_tests() -> None:
    proc = npx("tsc", "-p", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    node = require_tool("node", "install Node.js 20")
    run = subprocess.run(
        [node, "--test", "out/test/"], cwd=VSCODE, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout, run.stdout


@pytest.mark.slow
def test_packages_into_a_vsix(tmp_path: Path) -> None:
    out = tmp_path / "glm-lsp.vsix"
    proc = npx("vsce", "package", "--skip-license", "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(out) as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
    assert "extension/out/extension.js" in names
    assert "extension/node_modules/vscode-languageclient/package.json" in names
    assert not any(n.startswith("extension/src/") for n in names), "sources shipped"
    assert not any(n.startswith("extension/out/test/") for n in names), "tests shipped"
    assert manifest["main"] == "./out/extension.js"


def test_prettier_formatted() -> None:
    proc = npx(
        "prettier",
        "--config",
        ".prettierrc.json",
        "--check",
        "src",
        "../../tests/editors/vscode_e2e.js",
        "../../tests/editors/vscode_install_e2e.js",
        "../../tests/editors/e2e_driver.js",
    )
    assert proc.returncode == 0, (
        "run `npm run format` in editors/vscode\n" + proc.stdout + proc.stderr
    )
