"""didOpen / didChange / didSave / didClose and watched files: the text the rest of the server
sees.

pygls has applied a change to its copy of the document before these handlers run; here the
syntax tree catches up at once (the next request needs it), the workspace index once typing
pauses (``indexing.py``), and the edit sites feed ranking (recent edits) and the model's
references.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from glm_lsp import memory
from glm_lsp.documents import LspTextDocument
from glm_lsp.indexing import INDEX_DELAY_S
from glm_lsp.server import GlmServer
from glm_lsp.syntax.parse import ParsedDocument

log = logging.getLogger(__name__)


def register(ls: GlmServer) -> None:
    @ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        if len(params.text_document.text) >= memory.BIG_TEXT:
            memory.release_soon()  # it may replace a big open version (a reopen)
        parsed = _sync(ls, uri, params.text_document.language_id)
        if ls.engine is not None and not ls.trees.parsing(uri):
            # Symbols and imported modules, off the loop (for a big document, once its first
            # parse lands: GlmServer._document_parsed).
            ls.engine.prefetch(parsed)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        started = time.perf_counter()
        try:
            uri = params.text_document.uri
            before = ls.trees.get_text(uri)
            parsed = _sync(ls, uri, index_delay=INDEX_DELAY_S)
            if before is not None and len(before) >= memory.BIG_TEXT > len(parsed.text) * 2:
                memory.release_soon()  # most of a big document went
            _note_edits(ls, uri)
        finally:
            ls.stats.observe("did_change", (time.perf_counter() - started) * 1000.0)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        if ls.trees.has(params.text_document.uri):
            _sync(ls, params.text_document.uri)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        parsed = ls.trees.get_text(uri)
        if parsed is not None and len(parsed) >= memory.BIG_TEXT:
            memory.release_soon()  # its tree and tables go now
        ls.trees.close(uri)
        path = to_fs_path(uri)
        if ls.engine is not None:
            ls.engine.forget(uri, path)
        if path and ls.indexer is not None:
            if _in_workspace(ls, path):
                ls.indexer.from_disk(path, ls.settings.index.max_file_size)
            else:
                ls.indexer.forget(path)  # a file from elsewhere is the workspace's while open

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(params: lsp.DidChangeWatchedFilesParams) -> None:
        indexer = ls.indexer
        if indexer is None:
            return
        for change in params.changes:
            path = to_fs_path(change.uri)
            if not path or ls.trees.has(change.uri):
                continue  # the open buffer, not the file on disk, is the truth
            if change.type == lsp.FileChangeType.Deleted:
                indexer.forget(path)
            else:
                indexer.from_disk(path, ls.settings.index.max_file_size)


def _sync(
    ls: GlmServer, uri: str, language_id: str | None = None, index_delay: float = 0
) -> ParsedDocument:
    """Bring the tree up to the client's text now, and the index after ``index_delay``."""
    doc = ls.workspace.get_text_document(uri)
    parsed = ls.trees.update(
        uri, doc.source, doc.version or 0, language_id, to_fs_path(uri) or None
    )
    if ls.indexer is not None:
        ls.indexer.document_changed(parsed, index_delay)
    return parsed


def _in_workspace(ls: GlmServer, path: str) -> bool:
    target = Path(path)
    return any(target.is_relative_to(root) for root in ls.roots)


def _note_edits(ls: GlmServer, uri: str) -> None:
    doc = ls.workspace.get_text_document(uri)
    if not isinstance(doc, LspTextDocument):
        return
    sites = doc.take_edit_sites()
    engine, ghost = ls.engine, ls.ghost
    for offset in sites:
        if engine is not None:
            engine.note_edit(uri, offset)
        if ghost is not None and doc.path:
            try:
                ghost.note_edit(doc.path, doc.source, offset)
            except Exception:
                log.exception("model note_edit failed")
