"""The model catalog (package data ``glm_lsp/data/catalog.toml``) and ``glm-lsp models list |
pull NAME | verify [PATH|NAME]``.

Why a catalog: users should not have to know which GGUF file, which repository and which prompt
template go together. A pinned sha256 guards against a truncated or swapped download; an empty
one means "not pinned yet" and ``verify`` says so (and prints the digest it computed) rather than
pretending. Pulling (:mod:`glm_lsp.model.pull`) is the only network use in glm-lsp, it happens
only on an explicit command, and it fails fast with a clear message when offline.

One entry may be marked ``default = true``: the embedded model glm-lsp uses when no model is
configured (it ships next to the catalog as package data, so it works offline from a wheel).
Everything shipped is found through ``importlib.resources`` (:func:`data_path`), never through a
path relative to the source tree. ``$GLM_LSP_CATALOG`` points at another catalog file; entries'
``local`` paths are relative to the catalog that lists them, so a test (or a packager) can swap
the embedded default without touching the shipped one. Pulled files live in
``<models dir>/<entry name>/<file>``: two entries that share a file name never collide.

Exit codes of ``glm-lsp models``: 0 success; 1 a file failed verification (bad GGUF, size or
sha256 mismatch, not downloaded); 2 usage or catalog error (unknown name, unreadable catalog, no
hub file known); 3 the download failed (offline, HTTP error, models directory not writable, disk
full); 4 ``verify`` of a catalog entry whose sha256 is not pinned (the file looks well-formed but
nothing could be checked against; the digest is printed so it can be pinned).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CATALOG_ENV = "GLM_LSP_CATALOG"
MODELS_DIR_ENV = "GLM_LSP_MODELS_DIR"

EXIT_OK = 0
EXIT_VERIFY_FAILED = 1
EXIT_USAGE = 2
EXIT_DOWNLOAD_FAILED = 3
EXIT_NOT_PINNED = 4

_extracted = contextlib.ExitStack()
"""Package data extracted to real files when glm-lsp is imported from a zip (kept until exit)."""


def data_path(*parts: str) -> Path:
    """A file or directory shipped in ``glm_lsp/data/`` (package data, via importlib.resources).

    An installed wheel and a source checkout both give the real path; a zip import extracts the
    resource once per process (llama.cpp and the server need real files).
    """
    node = importlib.resources.files("glm_lsp").joinpath("data")
    for part in parts:
        node = node.joinpath(part)
    if isinstance(node, Path):
        return node
    return _extracted.enter_context(importlib.resources.as_file(node))  # pragma: no cover


class CatalogError(ValueError):
    """The catalog file is readable TOML but its entries break a rule (message says which)."""


def catalog_path() -> Path:
    """``$GLM_LSP_CATALOG`` when set, else the catalog shipped with glm-lsp (package data)."""
    env = os.environ.get(CATALOG_ENV)
    return Path(env).expanduser() if env else data_path("catalog.toml")


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    repo: str
    file: str
    size: int
    size_hint: str
    sha256: str
    template: str
    arch: str
    license: str
    recommended: bool = False
    notes: str = ""
    local: str = ""
    default: bool = False
    """The embedded default: used when no model is configured (at most one entry)."""
    min_confidence: float | None = None
    """The confidence gate's threshold for ``inline.minConfidence = "auto"``, measured on
    held-out code (``glm-lsp models calibrate``); ``None``: not calibrated, nothing gated."""
    catalog_dir: Path | None = field(default=None, compare=False, repr=False)
    """Directory of the catalog file that listed this entry (set by ``load_catalog``)."""

    @property
    def pinned(self) -> bool:
        return len(self.sha256) == 64

    def path_in(self, models_dir: Path) -> Path:
        """Where the file lives: shipped next to the catalog, else ``models_dir/<name>/<file>``
        (one directory per entry: GLM-Edge 1.5B and 4B are both ``ggml-model-Q4_K_M.gguf``)."""
        if self.local:
            return (self.catalog_dir or catalog_path().parent) / self.local
        return models_dir / self.name / self.file


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """Entries of ``path`` (default: :func:`catalog_path`); ``CatalogError`` on a broken rule.

    Raises ``OSError`` (unreadable), ``tomllib.TOMLDecodeError`` or ``CatalogError``.
    """
    source = path or catalog_path()
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    fields = set(CatalogEntry.__dataclass_fields__) - {"catalog_dir"}
    entries = []
    for raw in data.get("model", []):
        values: dict[str, Any] = {k: v for k, v in raw.items() if k in fields}
        if not isinstance(values.get("min_confidence", 0.0), float | int):
            raise CatalogError(f"{source}: model {values.get('name')!r}: bad min_confidence")
        if not isinstance(values.get("default", False), bool):
            raise CatalogError(f"{source}: model {values.get('name')!r}: default must be a boolean")
        try:
            entries.append(CatalogEntry(**values, catalog_dir=source.parent))
        except TypeError as exc:  # a required field is missing
            raise CatalogError(f"{source}: model {values.get('name')!r}: {exc}") from exc
    defaults = [e.name for e in entries if e.default]
    if len(defaults) > 1:
        raise CatalogError(
            f"{source}: only one model may be the embedded default, found {', '.join(defaults)}"
        )
    return entries


def default_entry(entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The catalog's embedded default model (``default = true``), if it has one."""
    for entry in entries if entries is not None else load_catalog():
        if entry.default:
            return entry
    return None


def find_entry(name: str, entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    wanted = name.strip().lower()
    for entry in entries if entries is not None else load_catalog():
        if entry.name.lower() == wanted:
            return entry
    return None


def models_dir() -> Path:
    """``$GLM_LSP_MODELS_DIR``, else ``$XDG_CACHE_HOME/glm-lsp/models`` (``~/.cache``)."""
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "glm-lsp" / "models"


def resolve_model(name_or_path: str) -> Path | None:
    """A GGUF path for a setting that is either a path or a catalog name (None: unknown)."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix == ".gguf" or candidate.exists():
        return candidate
    entry = find_entry(name_or_path)
    if entry is None or not entry.file:
        return None
    return entry.path_in(models_dir())


def template_for_file(path: Path) -> str | None:
    """The catalog's template for a file it lists (by file name), when its entries agree.

    GGUF metadata alone cannot always tell the family (GLM-Edge files are ``ggml-model-*.gguf``
    with no distinctive tokens), while the catalog entry a file was pulled for can: a pulled
    file's directory is named after its entry, which decides when file names are shared.
    """
    try:
        matches = [e for e in load_catalog() if e.file and e.file == path.name]
    except (OSError, ValueError, TypeError):
        return None
    owner = [e for e in matches if e.name == path.parent.name]
    names = {e.template for e in owner or matches}
    return names.pop() if len(names) == 1 else None


def sha256_file(path: Path, progress: Callable[[int, int], None] | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(8 << 20):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return digest.hexdigest()


def hub_endpoint() -> str:
    """``$HF_ENDPOINT`` (what huggingface_hub downloads from), else the public hub."""
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def hub_reachable(timeout: float = 3.0) -> str | None:
    """``None`` when the hub answers a TCP connect, else why not (offline in seconds)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0"):
        return "HF_HUB_OFFLINE is set"
    url = urlparse(hub_endpoint())
    host = url.hostname or "huggingface.co"
    try:
        port = url.port or (80 if url.scheme == "http" else 443)
    except ValueError as exc:
        return f"bad HF_ENDPOINT ({exc})"
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return f"cannot reach {host}:{port}: {exc.strerror or exc}"
    return None
