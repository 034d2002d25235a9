"""The editor's ``glm-lsp.pull`` command: the real server over stdio pulls from a hub on loopback
and reports ``window/workDoneProgress`` (what ``:GlmLsp pull`` and the VS Code command show)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from hub_server import HubServer, write_small_gguf
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from glm_lsp.features.commands import PULL_COMMAND

REPO = "glm-lsp-test/pull-test-GGUF"
FILE = "pull-test-Q8_0.gguf"


def _catalog(path: Path, sha: str) -> Path:
    path.write_text(
        f'[[model]]\nname = "pull-test"\ntitle = "t"\nrepo = "{REPO}"\nfile = "{FILE}"\n'
        f'size = 0\nsize_hint = "1 MB"\nsha256 = "{sha}"\ntemplate = "codegeex4"\n'
        'arch = "chatglm"\nlicense = "Apache-2.0"\n',
        encoding="utf-8",
    )
    return path


async def _session(env: dict[str, str], cache: Path, *commands: list[Any]) -> dict[str, Any]:
    client = LanguageClient("pull-test", "0")
    seen: dict[str, Any] = {"progress": [], "messages": [], "results": []}
    untyped: Any = client
    untyped.feature(lsp.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda params: None)
    untyped.feature(lsp.PROGRESS)(
        lambda params: seen["progress"].append((str(params.token), params.value))
    )
    untyped.feature(lsp.WINDOW_SHOW_MESSAGE)(lambda params: seen["messages"].append(params))
    untyped.feature(lsp.WINDOW_LOG_MESSAGE)(lambda params: None)
    await client.start_io(sys.executable, "-m", "glm_lsp", "--stdio", env=env)
    try:
        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(
                    window=lsp.WindowClientCapabilities(work_done_progress=True)
                ),
                initialization_options={"model": {"backend": "none"}, "cache": {"dir": str(cache)}},
            )
        )
        client.initialized(lsp.InitializedParams())
        for arguments in commands:
            params = lsp.ExecuteCommandParams(command=PULL_COMMAND, arguments=arguments)
            result = await asyncio.wait_for(client.workspace_execute_command_async(params), 120)
            seen["results"].append(result)
        for _ in range(50):  # the end notification may trail the response
            if len([v for _, v in seen["progress"] if _kind(v) == "end"]) >= 2:
                break
            await asyncio.sleep(0.1)
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
    return seen


def _kind(value: Any) -> str | None:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


async def test_pull_command_downloads_with_work_done_progress(tmp_path: Path) -> None:
    data = write_small_gguf(tmp_path / "served.gguf", 3_000_000, seed=5)
    with HubServer() as hub:
        sha = hub.add(REPO, FILE, data)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GLM_LSP_", "HF_"))}
        env.update(
            HF_ENDPOINT=hub.url,
            HF_HOME=str(tmp_path / "hf-home"),
            NO_PROXY="127.0.0.1,localhost",
            GLM_LSP_CATALOG=str(_catalog(tmp_path / "catalog.toml", sha)),
            GLM_LSP_MODELS_DIR=str(tmp_path / "models"),
        )
        seen = await _session(env, tmp_path / "cache", ["pull-test"], ["no-such-model"])
    ok, unknown = seen["results"]
    target = tmp_path / "models" / "pull-test" / FILE
    assert ok["ok"] is True and ok["verified"] is True and ok["downloaded"] is True
    assert ok["path"] == str(target) and target.read_bytes() == data
    titles = {t: _field(v, "title") for t, v in seen["progress"] if _kind(v) == "begin"}
    token = next(t for t, title in titles.items() if title == "glm-lsp: pull pull-test")
    values = [v for t, v in seen["progress"] if t == token]
    kinds = [_kind(v) for v in values]
    assert kinds[0] == "begin" and kinds[-1] == "end", kinds
    reports = [_field(v, "message") for v in values if _kind(v) == "report"]
    assert any(m and m.startswith("downloading") for m in reports), reports
    assert _field(values[-1], "message") == "pull-test downloaded (sha256 matches)"
    # a failure is a result and one message, not a JSON-RPC error
    assert unknown["ok"] is False and "unknown model 'no-such-model'" in unknown["error"]
    assert any("unknown model" in m.message for m in seen["messages"])
