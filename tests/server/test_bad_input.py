"""Every bad input of issue 2 gets a well-formed answer or a clear JSON-RPC error, never silence."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import command, complete, insert, open_doc, ranked, wait_indexed
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.slow

SAMPLE_PY = "class Box:\n    def __init__(self):\n        self.width = 1\n        self.height = 2\n"


def raw_send(client: LanguageClient, message: dict[str, Any]) -> None:
    """Write a message exactly as given: the client's own typing would refuse bad params."""
    body = json.dumps(message).encode("utf-8")
    writer: Any = client.protocol.writer
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    msg_id = f"raw-{uuid.uuid4().hex}"
    future: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = future
    raw_send(client, {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), 10)


@pytest.mark.parametrize(
    "params",
    [
        {"textDocument": {"uri": "file:///x.py"}, "position": {"line": -1, "character": 0}},
        {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "two", "character": 0}},
        {"textDocument": {"uri": "file:///x.py"}},
        {"position": {"line": 0, "character": 0}},
        {},
        [],
        "completion please",
    ],
)
async def test_malformed_params_get_invalid_params_error(
    client: LanguageClient, params: Any
) -> None:
    client.messages.clear()
    with pytest.raises(JsonRpcException) as info:
        await raw_request(client, "textDocument/completion", params)
    assert info.value.code == -32602
    assert "textDocument/completion" in str(info.value)
    assert client.messages == []  # answered, not shown as an out-of-band error
    # ... and the server still works afterwards.
    stats = await command(client, "glm-lsp.stats")
    assert "completion" in stats


async def test_malformed_notification_is_dropped_quietly(client: LanguageClient) -> None:
    raw_send(
        client,
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": 5}},
    )
    stats = await command(client, "glm-lsp.stats")
    assert stats["completion"]["requests"] == 0


async def test_unknown_method_and_command_get_errors(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException) as info:
        await raw_request(client, "glm/noSuchMethod", {})
    assert info.value.code == -32601
    with pytest.raises(JsonRpcException):
        await command(client, "glm-lsp.noSuchCommand")
    with pytest.raises(JsonRpcException):
        await command(client, "glm-lsp.explain", "file:///x.py", {"line": -3, "character": 0})


@pytest.mark.parametrize(
    ("line", "character"),
    [(0, 10_000), (10_000, 0), (10_000, 10_000), (4, 0), (3, 999)],
)
async def test_out_of_range_positions(client: LanguageClient, line: int, character: int) -> None:
    uri = "file:///tmp/box.py"
    open_doc(client, uri, SAMPLE_PY)
    result = await complete(client, uri, line, character)
    assert isinstance(result, lsp.CompletionList)
    for item in result.items:
        assert isinstance(item.text_edit, lsp.TextEdit)
        assert item.text_edit.range.start.line <= 4


async def test_position_inside_surrogate_pair(client: LanguageClient) -> None:
    uri = "file:///tmp/emoji.py"
    text = 'smile = "😋😋"\nsmile.'
    open_doc(client, uri, text)
    # UTF-16: the first emoji occupies columns 9-10; 10 is between its two code units.
    result = await complete(client, uri, 0, 10)
    assert isinstance(result, lsp.CompletionList)
    after = await complete(client, uri, 1, 6)
    assert "upper" in ranked(after)


async def test_crlf_document(client: LanguageClient) -> None:
    uri = "file:///tmp/crlf.py"
    text = SAMPLE_PY.replace("\n", "\r\n") + "b = Box()\r\nb.wi\r\n"
    open_doc(client, uri, text)
    result = await complete(client, uri, 5, 4)
    assert ranked(result)[0] == "width"
    item = next(i for i in result.items if i.label == "width")
    assert isinstance(item.text_edit, lsp.TextEdit)
    assert item.text_edit.range == lsp.Range(lsp.Position(5, 2), lsp.Position(5, 4))
    # Editing a CRLF document keeps line numbers straight.
    insert(client, uri, 6, 0, "b.he")
    again = await complete(client, uri, 6, 4)
    assert ranked(again)[0] == "height"


@pytest.mark.parametrize("odd", ["\x0c", "\u2028", "\x0b"])
async def test_odd_line_separators_keep_lines_straight(client: LanguageClient, odd: str) -> None:
    """Form feeds and U+2028 are not line ends in LSP: edits after them must land right."""
    uri = "file:///tmp/odd.py"
    text = f"import os\n{odd}\n" + SAMPLE_PY + "b = Box()\n\n"
    open_doc(client, uri, text)
    insert(client, uri, 7, 0, "b.he")
    result = await complete(client, uri, 7, 4)
    assert ranked(result)[0] == "height"
    item = next(i for i in result.items if i.label == "height")
    assert isinstance(item.text_edit, lsp.TextEdit)
    assert item.text_edit.range.start == lsp.Position(7, 2)


async def test_syntax_errors_everywhere(client: LanguageClient) -> None:
    uri = "file:///tmp/broken.py"
    text = 'def (((:\n  ]]] class\n\tif if if\nx = {[("\nwhile:\n' * 50 + "x."
    open_doc(client, uri, text)
    result = await complete(client, uri, 250, 2)
    assert isinstance(result, lsp.CompletionList)
    mid = await complete(client, uri, 120, 3)
    assert isinstance(mid, lsp.CompletionList)


@pytest.mark.parametrize(
    ("uri", "language"),
    [("file:///tmp/notes.cbl", "cobol"), ("file:///tmp/no_extension", ""), ("untitled:x", "?")],
)
async def test_unknown_language_gets_word_completion(
    client: LanguageClient, uri: str, language: str
) -> None:
    open_doc(client, uri, "PERFORM compute_total\nMOVE total_amount TO out\ntot", language)
    result = await complete(client, uri, 2, 3)
    assert "total_amount" in [item.label for item in result.items]


async def test_document_never_opened(client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "inventory" / "service.py").as_uri()
    result = await complete(client, uri, 3, 0)
    assert list(result.items) == []
    ghost = await client.text_document_inline_completion_async(
        lsp.InlineCompletionParams(
            context=lsp.InlineCompletionContext(
                trigger_kind=lsp.InlineCompletionTriggerKind.Invoked
            ),
            text_document=lsp.TextDocumentIdentifier(uri),
            position=lsp.Position(0, 0),
        )
    )
    items = ghost.items if isinstance(ghost, lsp.InlineCompletionList) else ghost
    assert list(items) == []


async def test_ten_megabyte_document(client: LanguageClient) -> None:
    uri = "file:///tmp/huge.py"
    line = "value_{0} = compute_{0}(alpha, beta)  # filler filler filler filler\n"
    body = "".join(line.format(i % 1000) for i in range(150_000))
    assert len(body) > 10_000_000
    open_doc(client, uri, body + "val")
    result = await complete(client, uri, 150_000, 3)  # complete() times out a hang
    assert isinstance(result, lsp.CompletionList)
    assert result.items and all(i.label.startswith("value_") for i in result.items[:5])
    stats = await command(client, "glm-lsp.stats")
    assert stats["completion"]["requests"] == 1


async def _labels(client: LanguageClient, uri: str, module: str, typed: str) -> list[str]:
    """Members offered for ``module.typed`` (workspace modules are reached through imports)."""
    open_doc(client, uri, f"import {module}\n{module}.{typed}")
    result = await complete(client, uri, 1, len(module) + 1 + len(typed))
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    return [item.label for item in result.items]


async def test_bad_files_on_disk(client: LanguageClient, workspace: Path) -> None:
    """Invalid UTF-8 is indexed (decoded with replacements); binary and huge files are skipped;
    a missing file is forgotten; none of them stops the index."""
    await wait_indexed(client)
    (workspace / "blob.py").write_bytes(b"\x00\x01binary_marker_blob = 1\x00" * 1000)
    (workspace / "huge.py").write_text("x = 1\n" * 2_000_000 + "huge_marker_name = 1\n")
    (workspace / "latin1.py").write_bytes(b"# caf\xe9\nlatin_marker_total = 'na\xefve'\n")
    names = ("blob.py", "huge.py", "missing.py", "latin1.py")  # one index thread, in order
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[
                lsp.FileEvent(uri=(workspace / name).as_uri(), type=lsp.FileChangeType.Created)
                for name in names
            ]
        )
    )
    for attempt in range(300):
        if "latin_marker_total" in await _labels(
            client, f"file:///tmp/u{attempt}.py", "latin1", "lat"
        ):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the invalid UTF-8 file was never indexed")
    assert "binary_marker_blob" not in await _labels(client, "file:///tmp/b.py", "blob", "bin")
    assert "huge_marker_name" not in await _labels(client, "file:///tmp/h.py", "huge", "huge")


async def test_valid_initialization_options_show_nothing(client: LanguageClient) -> None:
    await wait_indexed(client)
    assert client.messages == []


async def test_invalid_initialization_options_shown_once(
    misconfigured_client: LanguageClient,
) -> None:
    await wait_indexed(misconfigured_client)
    messages = misconfigured_client.messages
    assert len(messages) == 1
    assert messages[0].type == lsp.MessageType.Warning
    assert "glmLsp.completion.maxItems" in messages[0].message
    assert "glmLsp.inline.mode" in messages[0].message
    assert "modle" not in messages[0].message  # unknown keys are logged notes, not errors
    # Logged during initialize, before the client could take log messages: replayed after.
    logs = [m.message for m in misconfigured_client.log_messages]
    assert any("invalid settings" in m for m in logs)
    assert any("glmLsp.modle: unknown setting" in m for m in logs)
    # Defaults are in force: completion still answers.
    uri = "file:///tmp/defaults.txt"
    open_doc(misconfigured_client, uri, "alpha alps\nal", language="plaintext")
    result = await complete(misconfigured_client, uri, 1, 2)
    assert {"alpha", "alps"} <= set(ranked(result))
