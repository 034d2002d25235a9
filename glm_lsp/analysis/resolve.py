"""Module name → source file, without importing anything.

Python: the workspace first (relative imports, the package root of the importing file, the root
and ``src/``), then the ``sys.path`` of the configured interpreter, asked once through
``python -c`` (that runs the interpreter, never workspace code), else this process's
``sys.path``. JS/TS: ``./x`` relative imports inside the workspace. Other languages: none.
"""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_PY_SUFFIXES = (".py", ".pyi")
_JS_SUFFIXES = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs")
_SYS_PATH_TIMEOUT_S = 10.0
_SYS_PATH_PROBE = "import sys;print(repr(sys.path))"
"""Imports nothing (``sys`` is built in), run isolated (``-I``: neither the current directory nor
``PYTHON*`` variables reach ``sys.path``) from a neutral directory: a ``json.py`` in the workspace
ran as the user when the probe imported ``json`` from it."""


def interpreter_sys_path(python: str | None) -> list[str]:
    """``sys.path`` of ``python`` (this process's when None or when asking fails)."""
    if python:
        try:
            done = subprocess.run(
                [python, "-I", "-c", _SYS_PATH_PROBE],
                capture_output=True,
                text=True,
                timeout=_SYS_PATH_TIMEOUT_S,
                check=True,
                cwd=tempfile.gettempdir(),
            )
            paths = ast.literal_eval(done.stdout.strip().splitlines()[-1])
            if isinstance(paths, list):
                return [p for p in paths if isinstance(p, str) and p]
        except (OSError, subprocess.SubprocessError, ValueError, SyntaxError, IndexError) as exc:
            log.warning("could not read sys.path of %s (%s); using the server's", python, exc)
    return [p for p in sys.path if p]


class ModuleResolver:
    """Finds the file a module name refers to; caches the interpreter's search path."""

    def __init__(self, python: str | None = None) -> None:
        self.python = python
        self.root: Path | None = None
        self._sys_path: list[Path] | None = None
        self._lock = threading.Lock()

    def sys_path(self) -> list[Path]:
        with self._lock:
            if self._sys_path is None:
                self._sys_path = [Path(p) for p in interpreter_sys_path(self.python)]
            return self._sys_path

    def resolve(self, dotted: str, language: str, from_path: str | None = None) -> Path | None:
        if not dotted:
            return None
        if language == "python":
            return self._python(dotted, from_path)
        if language in ("javascript", "typescript", "tsx"):
            return self._js(dotted, from_path)
        return None

    def _python(self, dotted: str, from_path: str | None) -> Path | None:
        if dotted.startswith("."):
            if from_path is None:
                return None
            level = len(dotted) - len(dotted.lstrip("."))
            base = Path(from_path).parent
            for _ in range(level - 1):
                base = base.parent
            rest = dotted[level:]
            return _py_module(base, rest.split(".") if rest else [])
        head, _sep, tail = dotted.partition(".")
        if head == "os" and tail.split(".", 1)[0] == "path":
            # os.path is an alias the os module sets up at import time
            dotted = ("ntpath" if sys.platform == "win32" else "posixpath") + tail[4:]
        parts = dotted.split(".")
        for base in self._python_bases(from_path):
            found = _py_module(base, parts)
            if found is not None:
                return found
        return None

    def _python_bases(self, from_path: str | None) -> list[Path]:
        bases: list[Path] = []
        if from_path is not None:
            package = Path(from_path).parent
            while (package / "__init__.py").exists() and package.parent != package:
                package = package.parent
            bases.append(package)
        if self.root is not None:
            bases.extend([self.root, self.root / "src"])
        bases.extend(self.sys_path())
        seen: dict[Path, None] = {}
        for base in bases:
            seen.setdefault(base, None)
        return list(seen)

    def _js(self, spec: str, from_path: str | None) -> Path | None:
        if not spec.startswith(".") or from_path is None:
            return None
        target = (Path(from_path).parent / spec).resolve()
        if self.root is not None and not target.is_relative_to(self.root.resolve()):
            return None
        candidates = [target] + [target.with_name(target.name + s) for s in _JS_SUFFIXES]
        candidates += [target / f"index{s}" for s in _JS_SUFFIXES]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        return None


def _py_module(base: Path, parts: list[str]) -> Path | None:
    """``base/a/b.py(i)`` or ``base/a/b/__init__.py(i)``; stubs first, they carry the types."""
    target = base.joinpath(*parts) if parts else base
    if parts:
        for suffix in (".pyi", ".py"):
            candidate = target.with_name(target.name + suffix)
            if candidate.is_file():
                return candidate
    for suffix in (".pyi", ".py"):
        candidate = target / f"__init__{suffix}"
        if candidate.is_file():
            return candidate
    return None
