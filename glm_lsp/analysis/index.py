"""The workspace index: every file's symbols plus workspace-wide frequency tables.

Built in a background thread at start while requests read it, so every table is guarded by one
re-entrant lock and each file is swapped in as a whole (its old counts subtracted, the new
added). Per-file results are persisted by content hash: a restart re-reads files but parses
none that did not change. Modules outside the workspace are parsed lazily on first use and
kept apart (:mod:`glm_lsp.analysis.modules`), so they never feed the frequency tables.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from tree_sitter import Tree

from glm_lsp.analysis.builtins import builtin_members
from glm_lsp.analysis.extract import extract_symbols
from glm_lsp.analysis.modules import ExternalModules
from glm_lsp.analysis.symbols import FileSymbols, Symbol
from glm_lsp.analysis.typenames import head_of
from glm_lsp.analysis.walk import content_key, read_source, workspace_files
from glm_lsp.cache import Stores
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.offsets import encode

log = logging.getLogger(__name__)
_K = TypeVar("_K")

SCHEMA_VERSION = 6
"""Bump when extraction changes: cached per-file results from older code are then ignored."""

_PERSIST_INTERVAL_S = 2.0
_MAX_INHERITANCE = 6
_TOP_KINDS = frozenset(
    {"function", "class", "variable", "constant", "interface", "enum", "type", "struct"}
)
_MEMBER_KINDS = frozenset({"method", "field", "property", "function", "constant", "variable"})


@dataclass
class IndexOptions:
    exclude: list[str] = field(default_factory=list)
    """Extra gitignore-style globs, relative to the workspace root."""
    max_file_size: int = 1_000_000
    """Bytes; larger files are skipped (generated code, data)."""
    python: str | None = None
    """Interpreter whose ``sys.path`` resolves imports; None → the server's own."""


class WorkspaceIndex:
    """Thread-safe symbol and frequency index of one workspace (see module docstring)."""

    def __init__(self, stores: Stores | None = None, options: IndexOptions | None = None) -> None:
        self.stores = stores
        self.options = options or IndexOptions()
        self.modules = ExternalModules(self.options.python, self.options.max_file_size)
        self.parsed = 0
        """Files extracted (not loaded from the store) since creation; a warm restart keeps it 0."""
        self._lock = threading.RLock()
        self._files: dict[str, FileSymbols] = {}
        self._keys: dict[str, str] = {}
        self._top: dict[str, list[tuple[str, Symbol]]] = {}
        self._members: dict[str, list[tuple[str, Symbol]]] = {}
        self._classes: dict[str, list[tuple[str, Symbol]]] = {}
        self._idents: dict[str, int] = {}
        self._member_counts: dict[str, dict[str, int]] = {}
        self._pending: dict[str, tuple[str, FileSymbols]] = {}
        self._live: set[str] = set()
        self._last_persist = time.monotonic()
        self.roots: tuple[str, ...] = ()
        """Workspace folders built so far: prompts show paths relative to them (never absolute)."""

    # -- building ------------------------------------------------------------------------

    def build(
        self,
        root: Path,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Index every file under ``root``; cancellable between files; never raises per file."""
        root = Path(root)
        self.modules.set_root(root)
        if str(root) not in self.roots:
            self.roots = (*self.roots, str(root))
        files = list(
            workspace_files(root, self.options.exclude, self.options.max_file_size, cancel)
        )
        total = len(files)
        seen: set[str] = set()
        for done, path in enumerate(files, 1):
            if cancel is not None and cancel.is_set():
                break
            with self._lock:
                live = str(path) in self._live
            text = None if live else read_source(path, self.options.max_file_size)
            if live:
                seen.add(str(path))  # the editor's text is newer than the disk's
            elif text is not None:
                try:
                    self._index(str(path), text, None, None, persist=True)
                    seen.add(str(path))
                except Exception:
                    log.exception("indexing %s failed", path)
            if progress is not None:
                progress(done, total)
        else:
            root_prefix = os.path.join(str(root), "")
            with self._lock:
                stale = [p for p in self._files if p.startswith(root_prefix) and p not in seen]
            for path_str in stale:
                self.remove_file(path_str)
        self.flush()

    def update_file(
        self, path: str, text: str, language_id: str | None = None, tree: Tree | None = None
    ) -> FileSymbols:
        """Re-index one file from the editor's text (``tree`` when already parsed).

        The path is remembered as live: a build running meanwhile keeps this text rather than
        the (older) one on disk.
        """
        with self._lock:
            self._live.add(path)
        return self._index(path, text, language_id, tree, persist=False)

    def _index(
        self, path: str, text: str, language_id: str | None, tree: Tree | None, persist: bool
    ) -> FileSymbols:
        spec = spec_for(language_id, path)
        language = spec.name if spec else None
        key = content_key(encode(text), language, SCHEMA_VERSION)
        with self._lock:
            current = self._files.get(path)
            if current is not None and self._keys.get(path) == key:
                return current
        # Editor updates skip the store: a just-typed text was never persisted.
        fs = self._load(key, path) if persist else None
        fresh = fs is None
        if fs is None:
            fs = extract_symbols(spec, text, tree, path)
            if persist:
                self._store(key, fs)
        with self._lock:
            if fresh:
                self.parsed += 1
                if not persist:
                    self._pending[path] = (key, fs)
            if persist and path in self._live:
                return self._files.get(path, fs)  # the editor got there first while we read
            self._swap(path, key, fs)
        if not persist and time.monotonic() - self._last_persist > _PERSIST_INTERVAL_S:
            self.flush()
        return fs

    def _load(self, key: str, path: str) -> FileSymbols | None:
        if self.stores is None:
            return None
        try:
            cached = self.stores.index.get(key)
        except Exception:
            return None
        if not isinstance(cached, FileSymbols):
            return None
        return cached if cached.path == path else replace(cached, path=path)

    def _store(self, key: str, fs: FileSymbols) -> None:
        if self.stores is not None:
            try:
                self.stores.index.set(key, fs)
            except Exception:
                log.debug("could not persist %s", fs.path, exc_info=True)

    def flush(self) -> None:
        """Persist results of editor updates (batched: a write per keystroke costs too much)."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_persist = time.monotonic()
        for key, fs in pending.values():
            self._store(key, fs)

    def remove_file(self, path: str) -> None:
        with self._lock:
            self._live.discard(path)
            self._pending.pop(path, None)
            old = self._files.pop(path, None)
            self._keys.pop(path, None)
            if old is not None:
                self._account(path, old, -1)

    # -- aggregates ----------------------------------------------------------------------

    def _swap(self, path: str, key: str, fs: FileSymbols) -> None:
        old = self._files.get(path)
        if old is not None:
            # An edit changes a few counts: apply the differences, not -all then +all.
            self._add_idents(_changes(old.identifier_counts, fs.identifier_counts))
            self._add_members(_changes(old.member_counts, fs.member_counts))
            self._account_symbols(path, old, -1)
        else:
            self._add_idents(fs.identifier_counts)
            self._add_members(fs.member_counts)
        self._files[path] = fs
        self._keys[path] = key
        self._account_symbols(path, fs, +1)

    def _account(self, path: str, fs: FileSymbols, sign: int) -> None:
        if sign > 0:
            self._add_idents(fs.identifier_counts)
            self._add_members(fs.member_counts)
        else:
            self._add_idents({k: -n for k, n in fs.identifier_counts.items()})
            self._add_members({k: -n for k, n in fs.member_counts.items()})
        self._account_symbols(path, fs, sign)

    def _add_idents(self, deltas: dict[str, int]) -> None:
        idents = self._idents
        for name, n in deltas.items():
            total = idents.get(name, 0) + n
            if total > 0:
                idents[name] = total
            else:
                idents.pop(name, None)

    def _add_members(self, deltas: dict[tuple[str, str], int]) -> None:
        for (receiver, member), n in deltas.items():
            table = self._member_counts.setdefault(receiver, {})
            total = table.get(member, 0) + n
            if total > 0:
                table[member] = total
            else:
                table.pop(member, None)
                if not table:
                    del self._member_counts[receiver]

    def _account_symbols(self, path: str, fs: FileSymbols, sign: int) -> None:
        top: list[tuple[str, Symbol]] = []
        classes: list[tuple[str, Symbol]] = []
        members: list[tuple[str, Symbol]] = []
        for sym in fs.symbols:
            if sym.local:
                continue
            if sym.container is None and sym.kind in _TOP_KINDS:
                top.append((sym.name, sym))
                if sym.kind in ("class", "struct", "interface"):
                    classes.append((sym.name, sym))
            elif sym.container is not None and sym.kind in _MEMBER_KINDS:
                members.append((sym.container, sym))
        for symtable, entries in (
            (self._top, top),
            (self._classes, classes),
            (self._members, members),
        ):
            if sign > 0:
                for key, sym in entries:
                    symtable.setdefault(key, []).append((path, sym))
            else:
                _drop(symtable, {key for key, _ in entries}, path)

    # -- queries -------------------------------------------------------------------------

    def get(self, path: str) -> FileSymbols | None:
        with self._lock:
            return self._files.get(path)

    def current(self, path: str, text: str, language_id: str | None = None) -> FileSymbols | None:
        """The indexed symbols of ``path`` if they were extracted from exactly ``text`` (a
        file opened unchanged: its extraction need not run again), else ``None``."""
        spec = spec_for(language_id, path)
        with self._lock:
            key, fs = self._keys.get(path), self._files.get(path)
        if key is None or fs is None:
            return None
        wanted = content_key(encode(text), spec.name if spec else None, SCHEMA_VERSION)
        return fs if wanted == key else None

    def lookup(self, name: str, language: str | None = None) -> list[Symbol]:
        """Top-level definitions named ``name`` across the workspace."""
        with self._lock:
            entries = list(self._top.get(name, ()))
            files = self._files
            return [
                sym
                for path, sym in entries
                if language is None or (path in files and files[path].language == language)
            ]

    def members_of(self, type_name: str, language: str) -> list[Symbol]:
        """Members of a workspace class (and its workspace bases), then the builtin type's."""
        name = head_of(type_name).rsplit(".", 1)[-1].rsplit("::", 1)[-1]
        out: list[Symbol] = []
        seen_types: set[str] = set()
        builtin_base: str | None = name
        with self._lock:
            current: str | None = name
            for _ in range(_MAX_INHERITANCE):
                if current is None or current in seen_types:
                    break
                seen_types.add(current)
                out.extend(self._lang_filter(self._members.get(current, ()), language))
                classes = self._lang_filter(self._classes.get(current, ()), language)
                bases = classes[0].bases if classes else ()
                current = bases[0].rsplit(".", 1)[-1] if bases else None
                if current is not None:
                    builtin_base = current
        out.extend(builtin_members(language, name))
        if builtin_base and builtin_base != name:
            out.extend(builtin_members(language, builtin_base))
        return out

    def _lang_filter(self, entries: Iterable[tuple[str, Symbol]], language: str) -> list[Symbol]:
        files = self._files
        return [sym for path, sym in entries if path in files and files[path].language == language]

    def is_subclass(self, child: str, parent: str) -> bool:
        """Workspace single inheritance: is ``parent`` among ``child``'s bases (transitively)?"""
        with self._lock:
            current, seen = child, set()
            for _ in range(_MAX_INHERITANCE):
                entries = self._classes.get(current)
                if not entries or current in seen:
                    return False
                seen.add(current)
                bases = [b.rsplit(".", 1)[-1] for b in entries[0][1].bases]
                if parent in bases:
                    return True
                if not bases:
                    return False
                current = bases[0]
        return False

    def module_symbols(
        self, dotted: str, language: str, from_path: str | None = None
    ) -> FileSymbols | None:
        """Symbols of the module ``dotted`` names, parsed lazily; never imports it."""
        return self.modules.symbols(dotted, language, from_path, self.get)

    def identifier_count(self, name: str) -> int:
        with self._lock:
            return self._idents.get(name, 0)

    def member_counts(self, receiver_key: str) -> dict[str, int]:
        with self._lock:
            return dict(self._member_counts.get(receiver_key, {}))

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "files": len(self._files),
                "symbols": sum(len(fs.symbols) for fs in self._files.values()),
                "parsed": self.parsed,
                "modules": self.modules.cached(),
            }


def _changes(old: dict[_K, int], new: dict[_K, int]) -> dict[_K, int]:
    """Per-key differences between two count tables (only the keys that changed)."""
    out = {k: n - old.get(k, 0) for k, n in new.items() if old.get(k, 0) != n}
    for k, n in old.items():
        if k not in new:
            out[k] = -n
    return out


def _drop(table: dict[str, list[tuple[str, Symbol]]], keys: set[str], path: str) -> None:
    for key in keys:
        entries = table.get(key)
        if entries is None:
            continue
        kept = [(p, s) for p, s in entries if p != path]
        if kept:
            table[key] = kept
        else:
            del table[key]
