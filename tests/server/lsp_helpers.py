"""Small helpers for the end-to-end tests: open, edit, complete, wait for the index."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import default_feature


@default_feature(lsp.CLIENT_REGISTER_CAPABILITY)
def register_capability(client: LanguageClient, params: lsp.RegistrationParams) -> None:
    """Accept dynamic registrations (the server registers file watchers with clients that
    allow it, as VS Code does); pytest-lsp fails a test on a server request it cannot answer."""
    client.__dict__.setdefault("glm_test_registrations", []).extend(params.registrations)


SERVER_ENV = {k: v for k, v in os.environ.items() if k not in ("GLM_LSP_MODEL", "GLM_LSP_CATALOG")}
"""Hermetic: no model from the environment, and the shipped catalog."""
CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "glm_lsp", "--stdio"], server_env=SERVER_ENV
)
"""The real server as a subprocess over stdio (pytest-lsp)."""

TINY_MODEL = Path(__file__).resolve().parents[2] / "models" / "tiny" / "glm-tiny-q8_0.gguf"
"""The random-weights test model: plumbing tests (it writes noise, fast)."""


def _versions(client: LanguageClient) -> dict[str, int]:
    """Document versions this client sent (kept on the client: no state shared by tests)."""
    versions: dict[str, int] = client.__dict__.setdefault("glm_test_versions", {})
    return versions


def open_doc(client: LanguageClient, uri: str, text: str, language: str = "python") -> None:
    _versions(client)[uri] = 1
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, language, 1, text))
    )


def open_file(client: LanguageClient, path: Path, language: str = "python") -> str:
    uri = path.as_uri()
    open_doc(client, uri, path.read_text(encoding="utf-8"), language)
    return uri


def insert(client: LanguageClient, uri: str, line: int, character: int, text: str) -> None:
    versions = _versions(client)
    versions[uri] = versions.get(uri, 1) + 1
    pos = lsp.Position(line, character)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=versions[uri]),
            [lsp.TextDocumentContentChangePartial(range=lsp.Range(pos, pos), text=text)],
        )
    )


async def complete(
    client: LanguageClient, uri: str, line: int, character: int
) -> lsp.CompletionList:
    result = await asyncio.wait_for(
        client.text_document_completion_async(
            lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), lsp.Position(line, character))
        ),
        30,
    )
    if result is None:
        return lsp.CompletionList(is_incomplete=False, items=[])
    if isinstance(result, list):
        return lsp.CompletionList(is_incomplete=False, items=result)
    return result


def ranked(result: lsp.CompletionList) -> list[str]:
    """Labels in the order an editor shows them (by sortText)."""
    return [item.label for item in sorted(result.items, key=lambda i: i.sort_text or i.label)]


async def command(client: LanguageClient, name: str, *arguments: Any) -> Any:
    return await asyncio.wait_for(
        client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=name, arguments=list(arguments) or None)
        ),
        30,
    )


async def wait_indexed(client: LanguageClient, timeout: float = 30.0) -> dict[str, Any]:
    """Wait for the indexing progress to end; returns the stats afterwards."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for reports in client.progress_reports.values():
            if any(isinstance(r, lsp.WorkDoneProgressEnd) for r in reports):
                stats: dict[str, Any] = await command(client, "glm-lsp.stats")
                return stats
        await asyncio.sleep(0.05)
    raise TimeoutError("index progress never ended")


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines()):
        if needle in line:
            return i
    raise ValueError(needle)


def server_capabilities(client: LanguageClient) -> lsp.ServerCapabilities:
    result: lsp.InitializeResult = client.init_result  # type: ignore[attr-defined]
    return result.capabilities


async def barrier(client: LanguageClient) -> None:
    """Return once the server has handled every notification sent before this call.

    The completion handler is a coroutine, so pygls schedules it after the (coroutine)
    notification handlers already queued, and its answer is written after anything they sent.
    ``glm-lsp.stats`` cannot serve here: a plain-function handler answers at once.
    """
    await complete(client, "file:///tmp/barrier-never-opened.py", 0, 0)


async def inline(client: LanguageClient, uri: str, line: int, character: int) -> list[Any]:
    """Invoked inline completion at a position; the items, whatever shape the reply takes."""
    result = await asyncio.wait_for(
        client.text_document_inline_completion_async(
            lsp.InlineCompletionParams(
                context=lsp.InlineCompletionContext(
                    trigger_kind=lsp.InlineCompletionTriggerKind.Invoked
                ),
                text_document=lsp.TextDocumentIdentifier(uri),
                position=lsp.Position(line, character),
            )
        ),
        60,
    )
    if isinstance(result, lsp.InlineCompletionList):
        return list(result.items)
    return list(result or [])
