"""Which files of a workspace get indexed (.gitignore (nested), user excludes, size, binaries),
and reading one from disk."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pathspec

from glm_lsp.syntax.languages import spec_for

log = logging.getLogger(__name__)

ALWAYS_SKIPPED = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
    }
)
"""Directories never worth indexing, whatever the ignore files say."""

WORD_ONLY_EXTENSIONS = frozenset(
    {
        ".rb",
        ".php",
        ".lua",
        ".sh",
        ".bash",
        ".kt",
        ".kts",
        ".swift",
        ".scala",
        ".cs",
        ".m",
        ".hs",
        ".ex",
        ".exs",
        ".clj",
        ".sql",
        ".r",
        ".jl",
        ".dart",
        ".zig",
        ".nim",
        ".pl",
        ".vue",
        ".svelte",
        ".el",
        ".ml",
        ".fs",
    }
)
"""Languages without a grammar here whose words still feed word completion."""

_SNIFF_BYTES = 8192
"""Bytes inspected for a NUL byte, git's own heuristic for binary content."""


def indexable(path: str) -> bool:
    """A source file we have a grammar for, or one whose words are still useful."""
    if spec_for(None, path) is not None:
        return True
    return Path(path).suffix.lower() in WORD_ONLY_EXTENSIONS


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:_SNIFF_BYTES]


class _Ignores:
    """Stack of ignore specs from the root down to the directory being walked."""

    def __init__(self, root: Path, exclude: list[str]) -> None:
        self.root = root
        self.exclude = pathspec.GitIgnoreSpec.from_lines(exclude) if exclude else None
        self.specs: dict[str, pathspec.GitIgnoreSpec] = {}

    def load(self, rel_dir: str) -> None:
        ignore_file = self.root / rel_dir / ".gitignore"
        try:
            lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        try:
            self.specs[rel_dir] = pathspec.GitIgnoreSpec.from_lines(lines)
        except Exception as exc:  # a malformed pattern must not stop indexing
            log.warning("ignoring %s: %s", ignore_file, exc)

    def ignored(self, rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if self.exclude is not None and self.exclude.match_file(probe):
            return True
        verdict = False
        parts = rel.split("/")
        for depth in range(len(parts)):
            base = "/".join(parts[:depth])
            spec = self.specs.get(base)
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            result = spec.check_file(sub)
            if result.include is not None:
                verdict = bool(result.include)  # deeper files override shallower ones
        return verdict


def workspace_files(
    root: Path, exclude: list[str], max_file_size: int, cancel: threading.Event | None = None
) -> Iterator[Path]:
    """Indexable files under ``root``, honouring every ignore rule; directories pruned early."""
    ignores = _Ignores(root, exclude)
    for dirpath, dirnames, filenames in os.walk(root):
        if cancel is not None and cancel.is_set():
            return
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        if ".gitignore" in filenames:
            ignores.load(rel_dir)
        prefix = f"{rel_dir}/" if rel_dir else ""
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in ALWAYS_SKIPPED and not ignores.ignored(prefix + d, is_dir=True)
        )
        for name in sorted(filenames):
            if not indexable(name) or ignores.ignored(prefix + name, is_dir=False):
                continue
            path = Path(dirpath) / name
            try:
                if not path.is_file() or path.stat().st_size > max_file_size:
                    continue
            except OSError:
                continue
            yield path


def content_key(data: bytes, language: str | None, schema: int) -> str:
    """Persistent-cache key of one file's extraction: content, language, extractor version."""
    digest = hashlib.sha1(data).hexdigest()
    return f"v{schema}:{language or '-'}:{digest}"


def read_source(path: Path, max_size: int) -> str | None:
    """Text of ``path`` for analysis, or None when it is missing, unreadable, over ``max_size``
    bytes or binary. Invalid UTF-8 is decoded with replacement characters: the text is only
    analysed, never written back, and the index must survive any workspace."""
    try:
        if path.stat().st_size > max_size:
            return None
        data = path.read_bytes()
    except OSError as exc:
        log.debug("cannot read %s: %s", path, exc)
        return None
    if len(data) > max_size or is_binary(data):  # it may have grown since the stat
        return None
    return data.decode("utf-8", errors="replace")
