"""Workspace code never runs: not at start, not on the first file of a language, not in the
interpreter probe. Each planted module writes a marker file when imported."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from glm_lsp.__main__ import drop_cwd
from glm_lsp.analysis.resolve import interpreter_sys_path

PLANTED = ("tree_sitter_go", "tree_sitter_python", "json", "diskcache", "numpy", "llama_cpp")


def plant(workspace: Path, markers: Path) -> None:
    """A module per name that records its import in ``markers``."""
    markers.mkdir(exist_ok=True)
    for name in PLANTED:
        (workspace / f"{name}.py").write_text(
            f"open({str(markers / name)!r}, 'w').close()\n", encoding="utf-8"
        )


def test_drop_cwd_removes_only_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = [str(tmp_path), "/usr/lib/python3", "", ".", str(tmp_path / "x"), str(tmp_path)]
    drop_cwd(path)
    # The entry -m put first goes; one added later (an editable install of glm-lsp) stays.
    assert path == ["/usr/lib/python3", str(tmp_path / "x"), str(tmp_path)]


def test_interpreter_probe_imports_nothing_from_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, markers = tmp_path / "ws", tmp_path / "markers"
    workspace.mkdir()
    plant(workspace, markers)
    monkeypatch.chdir(workspace)
    monkeypatch.setattr(tempfile, "tempdir", str(workspace))  # even run from the workspace
    paths = interpreter_sys_path(sys.executable)
    assert list(markers.iterdir()) == []
    assert any(Path(p, "os.py").is_file() for p in paths)  # the stdlib was found
    assert str(workspace) not in paths and "" not in paths


@pytest.mark.slow
def test_server_started_in_the_workspace_runs_none_of_its_modules(tmp_path: Path) -> None:
    """What the VS Code extension used to do: ``python -m glm_lsp`` with the workspace as cwd."""
    sys.path.insert(0, str(Path(__file__).parent / "server"))
    try:
        from raw_client import RawServer
    finally:
        sys.path.pop(0)
    workspace, markers = tmp_path / "ws", tmp_path / "markers"
    workspace.mkdir()
    plant(workspace, markers)
    (workspace / "main.go").write_text("package main\n\nfunc main() {\n\tfmt.\n}\n")
    (workspace / "app.py").write_text("import os\nos.\n")
    env = {**os.environ, "GLM_LSP_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("GLM_LSP_MODEL", None)
    env.pop("PYTHONPATH", None)
    server = RawServer.__new__(RawServer)
    server.proc = subprocess.Popen(
        [sys.executable, "-m", "glm_lsp", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=workspace,
    )
    try:
        server.send(
            {
                "id": 1,
                "method": "initialize",
                "params": {
                    "processId": None,
                    "rootUri": workspace.as_uri(),
                    "capabilities": {},
                    "initializationOptions": {
                        "model": {"backend": "none"},
                        "python": {"interpreter": sys.executable},
                    },
                },
            }
        )
        server.read_response(1)
        server.send({"method": "initialized", "params": {}})
        for msg_id, (name, language, line, character) in enumerate(
            [("main.go", "go", 3, 5), ("app.py", "python", 1, 3)], start=2
        ):
            uri = (workspace / name).as_uri()
            text = (workspace / name).read_text()
            server.send(
                {
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {
                            "uri": uri,
                            "languageId": language,
                            "version": 1,
                            "text": text,
                        }
                    },
                }
            )
            server.send(
                {
                    "id": msg_id,
                    "method": "textDocument/completion",
                    "params": {
                        "textDocument": {"uri": uri},
                        "position": {"line": line, "character": character},
                    },
                }
            )
            assert "result" in server.read_response(msg_id)
        time.sleep(0.5)  # lazily imported modules of the index thread
        assert sorted(p.name for p in markers.iterdir()) == []
    finally:
        server.proc.kill()
        server.proc.wait(10)
