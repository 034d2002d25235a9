"""Shared set-up for the real-editor tests: where the server, the editors and the tiny model are.

A missing dependency is a test failure with the command that installs it, never a skip: CI runs
`.ci/editors.sh` first, so anything missing here means that step is broken.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EDITORS = REPO / "editors"


def require_tool(name: str, hint: str) -> str:
    """Absolute path of an executable, or a failure that says how to install it."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"`{name}` not found on PATH; {hint}", pytrace=False)
    return found


@pytest.fixture(scope="session")
def server_cmd() -> list[str]:
    """The installed console script when present (what users run), else `python -m glm_lsp`."""
    script = Path(sys.executable).parent / "glm-lsp"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "glm_lsp"]


def find_tiny_model() -> Path | None:
    """The GGUF the editor tests run: $GLM_LSP_TEST_MODEL, else the random-weights test model.

    The editor tests check plumbing (ghost text shown, accepted), so they need a model that always
    writes something: the random model does; the trained glm-code-tiny at some positions writes
    nothing post-processing keeps (seen in the Neovim test), which says nothing about the editor.
    A named file, not "the newest GGUF", so an export lying around changes nothing.
    """
    override = os.environ.get("GLM_LSP_TEST_MODEL")
    if override:
        return Path(override)
    shipped = REPO / "models" / "tiny" / "glm-tiny-q8_0.gguf"
    return shipped if shipped.is_file() else None


@pytest.fixture(scope="session")
def tiny_model() -> Path | None:
    return find_tiny_model()


SAMPLE_PY = '''\
"""Sample module the editor tests complete in."""


class Inventory:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.items: dict[str, int] = {}

    def add_item(self, name: str, count: int = 1) -> None:
        self.items[name] = self.items.get(name, 0) + count

    def total_count(self) -> int:
        return sum(self.items.values())


def fill(inv: Inventory) -> int:
    inv.add_item("apple")
    inv.add_item("pear", 2)
    return inv.total_count()


def report(inv: Inventory) -> str:
    label = "total: "
    return label + str(


def use(inv: Inventory) -> None:
    inv.
'''
"""Ends mid-expression on purpose: the editors complete after `inv.` and after `str(`."""

DOT_LINE = SAMPLE_PY.splitlines().index("    inv.")
GHOST_LINE = DOT_LINE
"""Ghost text is requested after `inv.` too: a member name is what even the tiny test model
predicts there (after `str(` it has nothing to say)."""

SAMPLE_MEMBERS = ("add_item", "total_count", "owner", "items")


@pytest.fixture
def sample_workspace(tmp_path: Path) -> Iterator[Path]:
    ws = tmp_path / "workspace"
    ws.mkdir()
    (ws / "pyproject.toml").write_text('[project]\nname = "sample"\n', encoding="utf-8")
    (ws / "sample.py").write_text(SAMPLE_PY, encoding="utf-8")
    yield ws


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """Environment with every per-user directory inside tmp_path (editors write state there)."""
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        path = tmp_path / var.lower()
        path.mkdir(exist_ok=True)
        env[var] = str(path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("GLM_LSP_MODEL", None)
    return env


SUMMARY = re.compile(r"^(\d+) check\(s\), (\d+) failure\(s\)$", re.MULTILINE)


def run_driver(
    argv: list[str],
    env: dict[str, str],
    expected_checks: int,
    timeout: float,
    cwd: Path | None = None,
) -> None:
    """Run a real-editor driver; fail unless it ran exactly ``expected_checks`` checks, all passed.

    A driver that dies early (or an editor that exits 0 without running the script) never prints
    its summary line, so a silent false pass is impossible.
    """
    proc = subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = proc.stdout + proc.stderr
    print(output)  # shown with `pytest -rP`, and on failure
    summary = SUMMARY.search(proc.stdout)
    assert summary is not None, f"driver never reached its summary line:\n{output}"
    checks, failures = int(summary.group(1)), int(summary.group(2))
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert failures == 0 and not failed, "\n".join(failed) + f"\n\nfull output:\n{output}"
    assert checks == expected_checks, f"driver ran {checks} checks, expected {expected_checks}"
    assert proc.returncode == 0, output
