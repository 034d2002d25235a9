"""Default settings over stdio: the embedded default model (glm-code-tiny) loads by itself; a
missing or corrupt embedded file is one clear warning and static completion keeps working.

The missing/corrupt cases point the server at a temporary catalog through ``$GLM_LSP_CATALOG``
(the catalog's ``local`` paths are relative to it), so the shipped file is never touched.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import barrier, command, complete, inline, open_doc, ranked
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from raw_client import RawServer

from glm_lsp.model.catalog import default_entry, models_dir
from glm_lsp.model.llama import default_tiny_model_path

pytestmark = pytest.mark.slow


async def _wait_model(client: LanguageClient, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats: dict[str, Any] = await command(client, "glm-lsp.stats")
        if stats["model"].get("state") in ("ready", "failed"):
            return stats
        await asyncio.sleep(0.1)
    raise TimeoutError("model never settled")


async def test_default_settings_load_the_embedded_model(default_client: LanguageClient) -> None:
    client = default_client
    entry = default_entry()
    assert entry is not None and entry.name == "glm-code-tiny"
    stats = await _wait_model(client)
    model = stats["model"]
    assert model["loaded"] is True, model
    assert Path(model["path"]) == entry.path_in(models_dir())
    assert model["template"] == "codegeex4"
    uri = "file:///tmp/ghost.py"
    text = "def total(values: list[int]) -> int:\n    result = 0\n    for v in values:\n        "
    open_doc(client, uri, text)
    for item in await inline(client, uri, 3, 8):
        assert isinstance(item.insert_text, str) and item.insert_text
    after = await command(client, "glm-lsp.stats")
    assert after["inline"]["requests"] >= 1
    assert after["model"]["generated_tokens"] > 0
    # The dropdown works as before, and settings changes neither reload nor pop messages.
    result = await complete(client, uri, 2, 14)
    assert "values" in ranked(result)
    for tokens in (48, 64):
        client.workspace_did_change_configuration(
            lsp.DidChangeConfigurationParams(settings={"glmLsp": {"inline": {"maxTokens": tokens}}})
        )
        await barrier(client)
    final = (await command(client, "glm-lsp.stats"))["model"]
    assert final["state"] == "ready"
    assert final["generated_tokens"] >= after["model"]["generated_tokens"]
    assert client.messages == [], [m.message for m in client.messages]


def _catalog_with_default(directory: Path, file: str) -> Path:
    path = directory / "catalog.toml"
    path.write_text(
        f'[[model]]\nname = "glm-code-tiny"\ntitle = "t"\nrepo = ""\nfile = "{file}"\n'
        f'local = "{file}"\nsize = 0\nsize_hint = "9.5 MB"\nsha256 = ""\n'
        'template = "codegeex4"\narch = "chatglm"\nlicense = "x"\ndefault = true\n',
        encoding="utf-8",
    )
    return path


class _Session:
    """A raw stdio session that keeps every ``window/showMessage`` the server sends."""

    def __init__(self, tmp_path: Path, catalog: Path) -> None:
        self.raw = RawServer(tmp_path / "cache", {"GLM_LSP_CATALOG": str(catalog)})
        self.shown: list[dict[str, Any]] = []
        self._id = 0

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self._id += 1
        self.raw.send({"id": self._id, "method": method, "params": params})
        while True:
            message = self.raw.read()
            if message.get("method") == "window/showMessage":
                self.shown.append(message["params"])
            elif "method" in message and "id" in message:  # a request from the server
                self.raw.send({"id": message["id"], "result": None})
            elif message.get("id") == self._id and "method" not in message:
                assert "error" not in message, message
                return message.get("result")

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "workspace/executeCommand", {"command": "glm-lsp.stats"}
        )
        return result


@pytest.mark.parametrize("damage", ["missing", "truncated", "not-gguf"])
def test_broken_embedded_model_is_one_warning_and_static_keeps_working(
    tmp_path: Path, damage: str
) -> None:
    file = "glm-code-tiny-q8_0.gguf"
    target = tmp_path / file
    if damage == "truncated":
        data = default_tiny_model_path().read_bytes()
        target.write_bytes(data[: len(data) // 2])
    elif damage == "not-gguf":
        target.write_bytes(b"<html>404 Not Found</html>" * 20)
    session = _Session(tmp_path, _catalog_with_default(tmp_path, file))
    try:
        session.raw.initialize(options={"model": {}})  # default model settings
        deadline = time.monotonic() + 60
        while (stats := session.stats())["model"].get("state") not in ("ready", "failed"):
            assert time.monotonic() < deadline, stats
            time.sleep(0.1)
        assert stats["model"]["state"] == "failed" and stats["model"]["loaded"] is False
        uri = "file:///tmp/static.py"
        session.raw.send(
            {
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {
                        "uri": uri,
                        "languageId": "python",
                        "version": 1,
                        "text": "alpha_value = 1\nalp",
                    }
                },
            }
        )
        position = {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 3}}
        result = session.request("textDocument/completion", position)
        items = result["items"] if isinstance(result, dict) else result
        assert "alpha_value" in [item["label"] for item in items]
        inline = session.request(
            "textDocument/inlineCompletion", {**position, "context": {"triggerKind": 1}}
        )
        assert not (inline["items"] if isinstance(inline, dict) else inline)
        model_messages = [m for m in session.shown if "model" in m["message"].lower()]
        assert len(model_messages) == 1, session.shown
        shown = model_messages[0]
        assert shown["type"] == lsp.MessageType.Warning.value
        assert "static analysis keeps working" in shown["message"]
        expected = {
            "missing": "embedded default model glm-code-tiny is missing",
            "truncated": "truncated",
            "not-gguf": "not a GGUF file",
        }[damage]
        assert expected in shown["message"]
        assert str(target) in shown["message"] or file in shown["message"]
        assert "reinstall glm-lsp" in shown["message"]
        if damage != "missing":
            assert "embedded default model glm-code-tiny" in shown["message"]
        assert stats["model"]["error"] and expected in stats["model"]["error"]
    finally:
        session.raw.close()
