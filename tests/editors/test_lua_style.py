"""The Neovim plugin's Lua is formatted (stylua) and every file compiles in Neovim's LuaJIT."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from editor_support import EDITORS, REPO, require_tool

NEOVIM = EDITORS / "neovim"
LUA_DIRS = ("lua", "plugin", "lsp", "../../tests/editors")


def lua_files() -> list[str]:
    files = [str(p) for d in LUA_DIRS for p in sorted((NEOVIM / d).resolve().rglob("*.lua"))]
    assert len(files) >= 6, files  # init, config, health, plugin, lsp config, e2e driver
    return files


def test_stylua_clean() -> None:
    stylua = NEOVIM / "node_modules" / ".bin" / "stylua"
    assert stylua.exists(), f"{stylua} missing; run `.ci/editors.sh` (npm ci in {NEOVIM})"
    proc = subprocess.run(
        [str(stylua), "--check", *LUA_DIRS],
        cwd=NEOVIM,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, (
        f"stylua --check failed (fix: cd {NEOVIM} && npm run format):\n"
        + (proc.stdout + proc.stderr)
    )


def test_lua_compiles() -> None:
    nvim = require_tool("nvim", "install it with `pip install -e '.[dev]'`")
    script = (
        "local bad = {} "
        "for _, f in ipairs(_G.arg) do local ok, err = loadfile(f) "
        "if not ok then bad[#bad + 1] = err end end "
        "io.stdout:write(#bad == 0 and 'compiled\\n' or table.concat(bad, '\\n')) "
        "os.exit(#bad == 0 and 0 or 1)"
    )
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-l", "-", *lua_files()],
        input=script,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and "compiled" in proc.stdout, proc.stdout + proc.stderr


def test_vimdoc_tags_build(tmp_path: Path) -> None:
    nvim = require_tool("nvim", "install it with `pip install -e '.[dev]'`")
    doc = tmp_path / "doc"
    shutil.copytree(NEOVIM / "doc", doc)
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-c", f"helptags {doc}", "-c", "qall!"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and "E" not in proc.stderr.split(":")[0], proc.stderr
    tags = (doc / "tags").read_text(encoding="utf-8").splitlines()
    names = {line.split("\t")[0] for line in tags}
    assert {"glm-lsp.txt", ":GlmLsp", "glm-lsp-options", "glm_lsp.setup()"} <= names, names
