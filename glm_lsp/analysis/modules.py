"""Modules outside the workspace: found by name, parsed on first use, kept apart from the index.

A module that the workspace index already holds is answered from there; any other is resolved
to its file (:mod:`glm_lsp.analysis.resolve`), extracted once per modification time and kept in
a small LRU, so it never feeds the workspace's frequency tables. Modules compiled into the
interpreter (``sys``, ``time``) have no file: their names come from the interpreter itself.
Nothing is ever imported.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from glm_lsp.analysis.builtins import compiled_in_module
from glm_lsp.analysis.extract import extract_symbols
from glm_lsp.analysis.resolve import ModuleResolver
from glm_lsp.analysis.symbols import FileSymbols
from glm_lsp.analysis.walk import read_source
from glm_lsp.syntax.languages import spec_for

_CACHED_MODULES = 256
_MIN_MODULE_SIZE = 4_000_000
"""Bytes a module may have whatever the workspace's limit: library modules run long."""


class ExternalModules:
    """Symbols of the modules import statements name (see module docstring); thread-safe."""

    def __init__(self, python: str | None, max_file_size: int) -> None:
        self.resolver = ModuleResolver(python)
        self.max_file_size = max(max_file_size, _MIN_MODULE_SIZE)
        self._lock = threading.Lock()
        self._parsed: OrderedDict[str, tuple[float, FileSymbols]] = OrderedDict()

    def set_root(self, root: Path) -> None:
        """The workspace root: imports resolve there (and in its ``src/``) first."""
        self.resolver.root = root

    def cached(self) -> int:
        with self._lock:
            return len(self._parsed)

    def symbols(
        self,
        dotted: str,
        language: str,
        from_path: str | None,
        indexed: Callable[[str], FileSymbols | None],
    ) -> FileSymbols | None:
        """Symbols of the module ``dotted`` names, imported from ``from_path``; ``indexed``
        answers for files the workspace index holds. None when it cannot be found or read."""
        try:
            target = self.resolver.resolve(dotted, language, from_path)
        except OSError:
            return None
        if target is None:
            return compiled_in_module(dotted) if language == "python" else None
        key = str(target)
        found = indexed(key)
        if found is not None:
            return found
        with self._lock:
            cached = self._parsed.get(key)
        try:
            mtime = target.stat().st_mtime
        except OSError:
            return None
        if cached is not None and cached[0] == mtime:
            return cached[1]
        text = read_source(target, self.max_file_size)
        if text is None:
            return None
        fs = extract_symbols(spec_for(None, key), text, None, key)
        with self._lock:
            self._parsed[key] = (mtime, fs)
            while len(self._parsed) > _CACHED_MODULES:
                self._parsed.popitem(last=False)
        return fs
