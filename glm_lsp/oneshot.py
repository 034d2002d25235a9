"""One completion without a client: index a workspace, open one file, complete at a position.

This is the engine of ``glm-lsp complete`` and uses exactly the objects the server uses, so what
``--explain`` prints is what an editor would get. Positions are LSP positions (0-based line,
UTF-16 column), converted with pygls like the server does.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument

from glm_lsp.analysis.index import IndexOptions, WorkspaceIndex
from glm_lsp.cache import Stores, default_cache_dir
from glm_lsp.completion.engine import CompletionEngine, CompletionResult
from glm_lsp.completion.history import AcceptHistory
from glm_lsp.config import Settings
from glm_lsp.syntax.parse import DocumentTrees

log = logging.getLogger(__name__)


def complete_file(
    file: Path,
    line: int,
    character: int,
    *,
    workspace: Path | None = None,
    settings: Settings | None = None,
    max_items: int = 100,
    persistent: bool = True,
) -> CompletionResult:
    """Completion at (``line``, ``character``) of ``file``; raises ``OSError`` if unreadable."""
    settings = settings or Settings()
    file = file.resolve()
    data = file.read_bytes()
    text = data.decode("utf-8", errors="replace")
    root = (workspace or file.parent).resolve()
    cache_dir = Path(settings.cache.dir) if settings.cache.dir else default_cache_dir()
    stores = Stores(cache_dir if persistent else None)
    try:
        index = WorkspaceIndex(
            stores,
            IndexOptions(
                exclude=list(settings.index.exclude),
                max_file_size=settings.index.max_file_size,
                python=settings.python.interpreter,
            ),
        )
        uri = from_fs_path(str(file)) or file.as_uri()
        trees = DocumentTrees()
        parsed = trees.update(uri, text, 0, None, str(file))
        try:
            if root.is_dir():
                index.build(root)
            index.update_file(str(file), text, parsed.language_id, parsed.tree)
        except Exception:  # a broken index costs workspace names, not the completion
            log.exception("indexing failed; completing from the file alone")
        doc = TextDocument(uri, text)
        offset = doc.offset_at_position(lsp.Position(line=line, character=character))
        engine = CompletionEngine(index, AcceptHistory(stores.history), background=False)
        try:
            return engine.complete(parsed, offset, max_items)
        finally:
            engine.close()
    finally:
        stores.close()
