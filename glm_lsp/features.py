"""Every LSP feature the server offers, registered on a :class:`GlmServer`.

Each handler is one line into ``GlmServer`` (or the model bridge): the capabilities advertised
at ``initialize`` are derived by pygls from what is registered here.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from glm_lsp.items import ACCEPT_COMMAND, markdown_support, resolve
from glm_lsp.protocol import Wire
from glm_lsp.server import EXPLAIN_COMMAND, SECTION, STATS_COMMAND, GlmServer
from glm_lsp.syntax.languages import all_trigger_characters

log = logging.getLogger(__name__)


def register(ls: GlmServer) -> None:
    """Register every feature and command on ``ls``."""

    @ls.feature(lsp.INITIALIZE)
    def initialize(params: lsp.InitializeParams) -> None:
        ls.setup(params)

    @ls.feature(lsp.INITIALIZED)
    def initialized(params: lsp.InitializedParams) -> None:
        ls.on_initialized()

    @ls.feature(lsp.SHUTDOWN)
    def shutdown(params: None) -> None:
        ls.on_shutdown()

    @ls.feature(lsp.EXIT)
    def exit_(params: None) -> None:
        ls.on_exit()

    @ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        ls.sync_document(params.text_document.uri, params.text_document.language_id)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        ls.timed_change(params)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        if ls.trees.get(params.text_document.uri) is not None:
            ls.sync_document(params.text_document.uri)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.trees.close(uri)
        if ls.engine is not None:
            ls.engine.forget(uri)
        path = to_fs_path(uri)
        if path:
            ls.reindex_from_disk(path)  # the buffer may have differed from the file

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            path = to_fs_path(change.uri)
            if not path or ls.trees.get(change.uri) is not None:
                continue  # the open buffer, not the file on disk, is the truth
            if change.type == lsp.FileChangeType.Deleted:
                ls.forget_file(path)
            else:
                ls.reindex_from_disk(path)

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        ls.change_roots(
            added=[f.uri for f in params.event.added], removed=[f.uri for f in params.event.removed]
        )

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: lsp.DidChangeConfigurationParams) -> None:
        raw = params.settings
        if isinstance(raw, dict) and SECTION in raw:
            raw = raw[SECTION]
        elif _pull_supported(ls):
            try:
                items = [lsp.ConfigurationItem(section=SECTION)]
                pulled = await ls.workspace_configuration_async(
                    lsp.ConfigurationParams(items=items)
                )
                raw = pulled[0] if pulled else None
            except Exception as exc:
                log.warning("workspace/configuration failed: %s", exc)
                return
        ls.apply_settings(raw, announce=True)

    @ls.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(
            trigger_characters=all_trigger_characters(),
            resolve_provider=True,
            completion_item=lsp.ServerCompletionItemOptions(label_details_support=True),
        ),
    )
    async def completion(params: lsp.CompletionParams) -> Wire:
        return await ls.complete(params)

    @ls.feature(lsp.COMPLETION_ITEM_RESOLVE)
    def completion_resolve(params: lsp.CompletionItem) -> lsp.CompletionItem:
        ls.stats.count("resolve.requests")
        return resolve(params, ls.resolve_cache, markdown=markdown_support(ls.client_capabilities))

    @ls.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
    async def inline_completion(
        params: lsp.InlineCompletionParams,
    ) -> lsp.InlineCompletionList:
        return await ls.model.inline(params)

    # Command handlers take the server first: pygls injects it into any handler whose first
    # parameter is annotated with the server's class, and passes the arguments after it.
    @ls.command(ACCEPT_COMMAND)
    def accepted(server: GlmServer, *args: object) -> None:
        payload = args[0] if args else None
        if isinstance(payload, dict) and ls.engine is not None:
            ls.engine.accept(payload)
            ls.stats.count("accepted.count")
        else:
            log.warning("glm-lsp.accepted needs one object argument, got %r", args)

    @ls.command(STATS_COMMAND)
    def stats(server: GlmServer, *args: object) -> dict[str, Any]:
        return ls.stats.snapshot()

    @ls.command(EXPLAIN_COMMAND)
    def explain(server: GlmServer, *args: object) -> dict[str, Any] | None:
        if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
            raise ValueError("glm-lsp.explain expects [uri, {line, character}]")
        pos = args[1]
        line, character = pos.get("line"), pos.get("character")
        if not isinstance(line, int) or not isinstance(character, int) or min(line, character) < 0:
            raise ValueError("glm-lsp.explain: position needs non-negative line and character")
        return ls.explain(args[0], lsp.Position(line=line, character=character))


def _pull_supported(server: GlmServer) -> bool:
    ws = server.client_capabilities.workspace
    return bool(ws is not None and ws.configuration)
