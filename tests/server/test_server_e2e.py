"""End to end over stdio: capabilities, sync, completion, resolve, accept, stats, settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_helpers import (
    barrier,
    command,
    complete,
    insert,
    line_of,
    open_doc,
    open_file,
    ranked,
    server_capabilities,
    wait_indexed,
)
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.slow


async def test_initialize_capabilities(client: LanguageClient) -> None:
    result = server_capabilities(client)
    assert result is not None
    completion = result.completion_provider
    assert completion is not None
    assert completion.resolve_provider is True
    assert {".", ":", ">"} <= set(completion.trigger_characters or [])
    assert result.inline_completion_provider is not None
    sync = result.text_document_sync
    assert isinstance(sync, lsp.TextDocumentSyncOptions)
    assert sync.change == lsp.TextDocumentSyncKind.Incremental
    assert sync.open_close is True
    assert result.execute_command_provider is not None
    assert {"glm-lsp.accepted", "glm-lsp.stats"} <= set(result.execute_command_provider.commands)
    # VS Code 1.65 offers no positionEncodings: the LSP default applies.
    assert result.position_encoding == lsp.PositionEncodingKind.Utf16


async def test_index_progress_and_stats(client: LanguageClient) -> None:
    stats = await wait_indexed(client)
    reports = next(iter(client.progress_reports.values()))
    assert isinstance(reports[0], lsp.WorkDoneProgressBegin)
    assert isinstance(reports[-1], lsp.WorkDoneProgressEnd)
    assert stats["index"]["files"] >= 7  # 6 code files + README are not all code; >= the code
    # The shape issue 2 lists, with zeros where nothing ran yet (model.backend = none here).
    assert stats["completion"]["requests"] == 0
    assert stats["completion"]["p50_ms"] == 0 and stats["completion"]["p95_ms"] == 0
    assert stats["index"]["symbols"] > stats["index"]["files"]
    assert stats["inline"]["requests"] == 0 and stats["inline"]["cancelled"] == 0
    assert stats["model"]["loaded"] is False and stats["model"]["state"] == "disabled"
    assert stats["model"]["path"] is None
    for key in ("gpu_layers", "prompt_tokens_evaluated", "prompt_tokens_reused"):
        assert stats["model"][key] == 0, key
    assert stats["model"]["generated_tokens"] == 0
    assert stats["cache"]["hits"] == 0 and stats["cache"]["misses"] == 0
    # stdlib logging reaches the client as window/logMessage (buffered until initialized).
    for _ in range(400):  # polls: returns as soon as the log line is there
        if any("index:" in m.message for m in client.log_messages):
            break
        await asyncio.sleep(0.05)
    assert any("index:" in m.message for m in client.log_messages)


async def test_sync_and_member_completion(client: LanguageClient, workspace: Path) -> None:
    path = workspace / "inventory" / "service.py"
    text = path.read_text(encoding="utf-8")
    uri = open_file(client, path)
    line = line_of(text, "def order_value") + 1
    insert(client, uri, line, 0, "        stock = self.wa\n")
    result = await complete(client, uri, line, len("        stock = self.wa"))
    labels = ranked(result)
    assert labels[0] == "warehouse"
    item = next(i for i in result.items if i.label == "warehouse")
    # The edit replaces the typed prefix "wa" only.
    assert isinstance(item.text_edit, lsp.TextEdit)
    assert item.text_edit.range == lsp.Range(
        lsp.Position(line, len("        stock = self.")),
        lsp.Position(line, len("        stock = self.wa")),
    )
    assert item.text_edit.new_text == "warehouse"
    assert item.kind == lsp.CompletionItemKind.Field
    assert item.command is not None and item.command.command == "glm-lsp.accepted"
    assert item.data is not None


async def test_mid_word_edit_replaces_rest_of_identifier(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "inventory" / "service.py"
    text = path.read_text(encoding="utf-8")
    uri = open_file(client, path)
    line = line_of(text, "def order_value") + 1
    insert(client, uri, line, 0, "        stock = self.wareXYZ\n")
    cursor = len("        stock = self.ware")
    result = await complete(client, uri, line, cursor)
    item = next(i for i in result.items if i.label == "warehouse")
    assert isinstance(item.text_edit, lsp.TextEdit)
    assert item.text_edit.range.end.character == len("        stock = self.wareXYZ")


async def test_resolve_adds_documentation(client: LanguageClient, workspace: Path) -> None:
    await wait_indexed(client)
    path = workspace / "inventory" / "service.py"
    text = path.read_text(encoding="utf-8")
    uri = open_file(client, path)
    line = line_of(text, "def order_value") + 1
    insert(client, uri, line, 0, "        self.warehouse.res\n")
    result = await complete(client, uri, line, len("        self.warehouse.res"))
    item = next(i for i in result.items if i.label == "restock")
    resolved = await client.completion_item_resolve_async(item)
    doc = resolved.documentation
    assert isinstance(doc, lsp.MarkupContent)
    assert doc.kind == lsp.MarkupKind.Markdown
    assert "restock(" in doc.value
    assert "Add ``quantity`` units" in doc.value  # the docstring from models.py


async def test_resolve_of_foreign_item_returns_it_unchanged(client: LanguageClient) -> None:
    item = lsp.CompletionItem(label="x", data={"id": "no-such-id"})
    resolved = await client.completion_item_resolve_async(item)
    assert resolved.label == "x"
    assert resolved.documentation is None


async def test_accept_raises_rank(client: LanguageClient, workspace: Path) -> None:
    path = workspace / "inventory" / "service.py"
    text = path.read_text(encoding="utf-8")
    uri = open_file(client, path)
    line = line_of(text, "def order_value") + 1
    insert(client, uri, line, 0, "        x = self.\n")
    before = await complete(client, uri, line, len("        x = self."))
    labels = ranked(before)
    target = labels[3]
    item = next(i for i in before.items if i.label == target)
    assert item.command is not None
    for _ in range(3):
        await command(client, item.command.command, *(item.command.arguments or []))
    after = await complete(client, uri, line, len("        x = self."))
    assert ranked(after).index(target) < labels.index(target)
    stats = await command(client, "glm-lsp.stats")
    assert stats["accepted"]["count"] == 3
    assert stats["completion"]["requests"] == 2
    assert stats["completion"]["p50_ms"] > 0


async def test_unknown_language_gets_word_completion(client: LanguageClient) -> None:
    uri = "file:///tmp/notes.cobolish"
    open_doc(client, uri, "MOVE frobnicate TO frobozz.\nfro", language="cobolish")
    result = await complete(client, uri, 1, 3)
    assert {"frobnicate", "frobozz"} <= set(ranked(result))


async def test_settings_change_invalid_values_one_message(client: LanguageClient) -> None:
    await wait_indexed(client)
    client.messages.clear()
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(
            settings={
                "glmLsp": {
                    "completion": {"maxItems": "lots"},
                    "inline": {"mode": "sideways"},
                    "model": {"backend": "none"},
                }
            }
        )
    )
    await barrier(client)
    assert len(client.messages) == 1
    text = client.messages[0].message
    assert "glmLsp.completion.maxItems" in text
    assert "glmLsp.inline.mode" in text
    assert client.messages[0].type == lsp.MessageType.Warning


async def test_settings_change_applies_max_items(client: LanguageClient) -> None:
    uri = "file:///tmp/words.txt"
    open_doc(client, uri, "alpha alpine alps altitude alto\nal", language="plaintext")
    many = await complete(client, uri, 1, 2)
    assert len(many.items) >= 4
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(
            settings={"glmLsp": {"completion": {"maxItems": 2}, "model": {"backend": "none"}}}
        )
    )
    few = await complete(client, uri, 1, 2)  # handled after the notification, in order
    assert len(few.items) == 2
    assert few.is_incomplete is True


async def test_utf8_position_encoding(nvim_client: LanguageClient) -> None:
    caps = server_capabilities(nvim_client)
    assert caps.position_encoding == lsp.PositionEncodingKind.Utf8
    uri = "file:///tmp/enc.py"
    prefix = 'label = "é😋"; label.up'
    open_doc(nvim_client, uri, f"{prefix}\n")
    cursor = len(prefix.encode("utf-8"))  # byte column
    result = await complete(nvim_client, uri, 0, cursor)
    item = next(i for i in result.items if i.label == "upper")
    assert isinstance(item.text_edit, lsp.TextEdit)
    assert item.text_edit.range.start.character == cursor - 2
    assert item.text_edit.range.end.character == cursor


async def test_added_workspace_folder_is_indexed(client: LanguageClient, tmp_path: Path) -> None:
    before = (await wait_indexed(client))["index"]["files"]
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "helpers.py").write_text(
        "def zanzibar_checksum(data: bytes) -> int:\n    return sum(data) % 251\n",
        encoding="utf-8",
    )
    client.workspace_did_change_workspace_folders(
        lsp.DidChangeWorkspaceFoldersParams(
            event=lsp.WorkspaceFoldersChangeEvent(
                added=[lsp.WorkspaceFolder(uri=extra.as_uri(), name="extra")], removed=[]
            )
        )
    )
    for _ in range(600):  # polls: returns as soon as the second index build ends
        ends = [
            r
            for reports in client.progress_reports.values()
            for r in reports
            if isinstance(r, lsp.WorkDoneProgressEnd)
        ]
        if len(ends) >= 2:
            break
        await asyncio.sleep(0.05)
    stats = await command(client, "glm-lsp.stats")
    assert stats["index"]["files"] == before + 1


@pytest.mark.parametrize(
    "text",
    [
        "import os\nvalue = os.getcwd()\n",
        "import os\r\nvalue = os.getcwd()\r\n",
        "import os\nnaïve = '😋 é'\n",
    ],
)
async def test_completion_on_the_empty_last_line(client: LanguageClient, text: str) -> None:
    """Nothing typed on the line after the final line break: every edit is on that line."""
    uri = f"file:///tmp/last_line_{len(text)}.py"
    open_doc(client, uri, text)
    result = await complete(client, uri, 2, 0)
    assert result.items
    for item in result.items:
        assert isinstance(item.text_edit, lsp.TextEdit), item.label
        assert item.text_edit.range == lsp.Range(lsp.Position(2, 0), lsp.Position(2, 0))
