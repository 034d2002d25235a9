"""initialize / initialized / shutdown / exit, settings, workspace folders.

``initialize`` builds the session's objects from the client's options; ``initialized`` starts
the work that talks to the client (indexing with progress, the model load). Settings arrive as
``initializationOptions`` and through ``workspace/didChangeConfiguration``; a change of model
reloads it, any other change applies in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from glm_lsp.analysis.index import IndexOptions, WorkspaceIndex
from glm_lsp.analysis.walk import WORD_ONLY_EXTENSIONS
from glm_lsp.cache import Stores, default_cache_dir
from glm_lsp.completion.engine import CompletionEngine
from glm_lsp.completion.history import AcceptHistory
from glm_lsp.config import is_note, parse_settings
from glm_lsp.documents import install
from glm_lsp.features.inline import close_ghost, ghost_stats, restart_ghost, start_ghost
from glm_lsp.features.trace import apply_trace, close_trace
from glm_lsp.indexing import Indexer
from glm_lsp.server import GlmServer
from glm_lsp.syntax.languages import SPECS

log = logging.getLogger(__name__)

SECTION = "glmLsp"


def register(ls: GlmServer) -> None:
    @ls.feature(lsp.INITIALIZE)
    def initialize(params: lsp.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        install(ls.workspace)  # LSP line splitting for every document (documents.py)
        apply_settings(ls, params.initialization_options, announce=False)
        cache = ls.settings.cache.dir
        ls.stores = Stores(Path(cache).expanduser() if cache else default_cache_dir())
        ls.roots = _roots(params)
        apply_trace(ls)
        index = _new_index(ls)
        ls.indexer = Indexer(ls, index)
        ls.stats.add_source("index", lambda: dict(ls.index.stats()) if ls.index else {}, "index")
        ls.stats.add_source("model", lambda: ghost_stats(ls))

    @ls.feature(lsp.INITIALIZED)
    def initialized(params: lsp.InitializedParams) -> None:
        if ls.log_handler is not None:
            ls.log_handler.attach(ls.send_log)
        if ls.pending_errors:
            _show_settings_errors(ls, ls.pending_errors)
            ls.pending_errors = []
        for error in ls.stores.errors() if ls.stores else []:
            log.warning("%s", error)
        if ls.indexer is not None and ls.index is not None:
            ls.indexer.rebuild(ls.index, ls.roots)
        start_ghost(ls)
        if _watch_supported(ls):
            ls.spawn(_register_watchers(ls))

    @ls.feature(lsp.SHUTDOWN)
    def shutdown(params: None) -> None:
        _shutdown(ls)

    @ls.feature(lsp.EXIT)
    def exit_(params: None) -> None:
        """Leave now. A background thread (an index build between cancel checks, a model
        generation) must not hold the process after ``exit``: the interpreter would join it,
        and the client would have to kill us. Everything persistent was closed at shutdown."""
        clean = ls.shutdown_requested
        if not clean:
            _shutdown(ls)
        logging.shutdown()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(0 if clean else 1)

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
        apply_settings(ls, raw, announce=True)

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        event = params.event
        gone = {Path(p) for p in (to_fs_path(f.uri) for f in event.removed) if p}
        roots = [root for root in ls.roots if root not in gone]
        for folder in event.added:
            path = to_fs_path(folder.uri)
            if path and Path(path).is_dir() and Path(path) not in roots:
                roots.append(Path(path))
        if roots != ls.roots:
            ls.roots = roots
            _reindex(ls)


def apply_settings(ls: GlmServer, raw: object, *, announce: bool) -> None:
    """Parse and apply settings; problems are shown once (now, or after ``initialized``)."""
    settings, messages = parse_settings(raw)
    errors = [m for m in messages if not is_note(m)]
    for note in messages:
        if is_note(note):
            log.info("settings: %s", note)
    if errors:
        log.warning("invalid settings: %s", "; ".join(errors))
        if announce:
            _show_settings_errors(ls, errors)
        else:
            ls.pending_errors = errors
    old, ls.settings = ls.settings, settings
    if ls.index is not None and (old.index != settings.index or old.python != settings.python):
        _reindex(ls)
    if old.cache != settings.cache and ls.stores is not None:
        log.info("cache.dir changes take effect when the server restarts")
    if old.trace != settings.trace and ls.stores is not None:
        apply_trace(ls)  # after initialize (which starts it once the cache is known)
    if announce and old.model != settings.model:
        restart_ghost(ls)  # a different model (or backend): load it
    elif old != settings and ls.ghost is not None:
        # Inline/completion knobs apply in place: the service reads them per request, and
        # reloading a multi-GB model for a toggle would take seconds to minutes.
        ls.ghost.settings = settings


def _show_settings_errors(ls: GlmServer, errors: list[str]) -> None:
    text = "glm-lsp: invalid settings, defaults used: " + "; ".join(errors)
    ls.show(lsp.MessageType.Warning, text)


def _new_index(ls: GlmServer) -> WorkspaceIndex:
    """A fresh index and the completion engine over it (the ghost side gets it too)."""
    options = IndexOptions(
        exclude=list(ls.settings.index.exclude),
        max_file_size=ls.settings.index.max_file_size,
        python=ls.settings.python.interpreter,
    )
    index = WorkspaceIndex(ls.stores, options)
    # The first `module.` completion would otherwise run the interpreter probe (a subprocess,
    # ~50 ms) on the event loop inside the request: ask now, on a thread of its own.
    threading.Thread(
        target=index.modules.resolver.sys_path, name="glm-lsp-sys-path", daemon=True
    ).start()
    history = AcceptHistory(ls.stores.history if ls.stores else None)
    if ls.engine is not None:
        ls.engine.close()
    ls.index = index
    ls.engine = CompletionEngine(index, history)
    if ls.ghost is not None:
        ls.ghost.use_index(index)
    return index


def _reindex(ls: GlmServer) -> None:
    if ls.indexer is not None:
        ls.indexer.rebuild(_new_index(ls), ls.roots)


def close_session(ls: GlmServer) -> None:
    """Close what must not be lost when the client goes away without ``shutdown``."""
    _shutdown(ls)


def _shutdown(ls: GlmServer) -> None:
    ls.shutdown_requested = True
    if ls.indexer is not None:
        ls.indexer.close()
    close_ghost(ls)
    close_trace(ls, wait=True)
    if ls.engine is not None:
        ls.engine.close()
    ls.trees.shutdown()
    if ls.stores is not None:
        ls.stores.close()
    if ls.log_handler is not None:
        ls.log_handler.detach()


def _roots(params: lsp.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    roots: list[Path] = []
    for uri in uris:
        path = to_fs_path(uri)
        if path and Path(path).is_dir():
            roots.append(Path(path))
    if not roots and params.root_path and Path(params.root_path).is_dir():
        roots.append(Path(params.root_path))
    return roots


WATCHER_ID = "glm-lsp-watched-files"


def watched_glob() -> str:
    """One glob for every file the index reads (grammars and word-only languages)."""
    suffixes = {ext.lstrip(".") for spec in SPECS for ext in spec.extensions}
    suffixes |= {ext.lstrip(".") for ext in WORD_ONLY_EXTENSIONS}
    return "**/*.{" + ",".join(sorted(suffixes)) + "}"


async def _register_watchers(ls: GlmServer) -> None:
    """Ask the client to report changes on disk (a checkout, generated files), so they reach
    the index without a restart; a client that refuses costs only that."""
    options = lsp.DidChangeWatchedFilesRegistrationOptions(
        watchers=[lsp.FileSystemWatcher(glob_pattern=watched_glob())]
    )
    registration = lsp.Registration(
        id=WATCHER_ID, method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
    )
    try:
        await ls.client_register_capability_async(
            lsp.RegistrationParams(registrations=[registration])
        )
    except Exception as exc:
        log.info("client did not register file watchers: %s", exc)


def _watch_supported(ls: GlmServer) -> bool:
    ws = ls.client_capabilities.workspace
    watched = ws.did_change_watched_files if ws is not None else None
    return bool(watched is not None and watched.dynamic_registration)


def _pull_supported(ls: GlmServer) -> bool:
    ws = ls.client_capabilities.workspace
    return bool(ws is not None and ws.configuration)
