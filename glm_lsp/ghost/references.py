"""Cross-file snippets for the prompt: definitions of imported names, recently edited files.

Both are chosen to stay the same while the user types in one file (they precede the code in
the prompt, so any change there re-evaluates everything after it): imported definitions change
only when imports or the imported files change; a recently edited file's snapshot is taken when
the user edits *that* file and is frozen while they type elsewhere.

Secret files (``.env``, private keys, credential stores: ``secrets.is_secret_file``) never
become references, not even when they were just edited; what does is redacted when the prompt
is built. A remote backend gets no references at all unless ``model.remoteContext`` is
``"full"`` (:func:`cross_file_context`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from glm_lsp.config import Settings
from glm_lsp.ghost.secrets import is_secret_file, preload
from glm_lsp.model.templates import Reference

if TYPE_CHECKING:
    from glm_lsp.analysis.index import WorkspaceIndex
    from glm_lsp.model.backend import ModelBackend

log = logging.getLogger(__name__)

_MAX_DEFINITION_LINES = 24
_RECENT_LINES = 24
_MAX_IMPORTS = 24


class _FileTexts:
    """Text of other files by (path, mtime), so a definition is read once per change."""

    def __init__(self, capacity: int = 64) -> None:
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, path: str) -> str | None:
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return None
        with self._lock:
            hit = self._data.get(path)
            if hit is not None and hit[0] == mtime:
                return hit[1]
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(2_000_000)
        except OSError:
            return None
        with self._lock:
            self._data[path] = (mtime, text)
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)
        return text


def _excerpt(text: str, start: int, end: int, max_lines: int) -> str:
    start = text.rfind("\n", 0, max(0, start)) + 1
    lines = text[start : max(start, end)].split("\n")[:max_lines]
    return "\n".join(lines).rstrip() + "\n"


class References:
    """Collects the reference snippets for one request (thread-safe; owned by GhostService)."""

    def __init__(self, index: WorkspaceIndex | None, recent_files: int = 3) -> None:
        self._index = index
        self._texts = _FileTexts()
        self._recent: OrderedDict[str, str] = OrderedDict()
        self._recent_files = recent_files
        self._lock = threading.Lock()
        preload()  # the secret patterns, before the first prompt needs them

    def use_index(self, index: WorkspaceIndex) -> None:
        """Definitions of imported names come from ``index`` from now on (a re-index)."""
        with self._lock:
            self._index = index

    def note_edit(self, path: str, text: str, offset: int) -> None:
        """Snapshot the lines around an edit of ``path`` (the newest few files are kept); a
        secret file is never kept."""
        if not path or is_secret_file(path):
            return
        start = text.rfind("\n", 0, max(0, offset))
        for _ in range(_RECENT_LINES // 2):
            if start <= 0:
                start = 0
                break
            start = text.rfind("\n", 0, start)
        start = start + 1 if start > 0 else 0
        snippet = "\n".join(text[start : start + 8000].split("\n")[:_RECENT_LINES])
        with self._lock:
            self._recent[path] = snippet
            self._recent.move_to_end(path)
            while len(self._recent) > self._recent_files:
                self._recent.popitem(last=False)

    def recent(self, current_path: str) -> list[Reference]:
        with self._lock:
            return [Reference(p, code) for p, code in self._recent.items() if p != current_path]

    def imported(self, path: str, language: str) -> list[Reference]:
        """Source of the definitions the current file imports by name (``from m import f``)."""
        index = self._index
        if index is None or not path:
            return []
        try:
            fs = index.get(path)
            if fs is None:
                return []
            out: list[Reference] = []
            for _local, target in sorted(fs.imports.items())[:_MAX_IMPORTS]:
                module, _, name = target.rpartition(".")
                if not module or not name:
                    continue
                mod = index.module_symbols(module, language, from_path=path)
                if mod is None or mod.path == path or is_secret_file(mod.path):
                    continue
                for sym in mod.symbols:
                    if sym.name == name and sym.container is None and not sym.local:
                        text = self._texts.get(mod.path)
                        if text is not None and sym.end > sym.start:
                            code = _excerpt(text, sym.start, sym.end, _MAX_DEFINITION_LINES)
                            out.append(Reference(mod.path, code))
                        break
            return out
        except Exception:
            log.debug("reference lookup failed", exc_info=True)
            return []

    def collect(self, path: str, language: str) -> list[Reference]:
        return self.imported(path, language) + self.recent(path)


def cross_file_context(settings: Settings, backend: ModelBackend | None) -> bool:
    """Whether other files' snippets may enter the prompt: always for a model on this machine;
    for a remote backend only with ``model.remoteContext = "full"`` (the default ``"file"``
    sends the current file's windows alone: recently edited files can be any file the editor
    touched, inside the workspace or not)."""
    remote = backend.name == "remote" if backend is not None else settings.model.backend == "remote"
    return not remote or settings.model.remote_context == "full"
