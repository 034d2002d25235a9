"""``models/catalog.toml`` and ``glm-lsp models list | pull NAME | verify [PATH|NAME]``.

Why a catalog: users should not have to know which GGUF file, which repository and which prompt
template go together. A pinned sha256 guards against a truncated or swapped download; an empty
one means "not pinned yet" and ``verify`` says so (and prints the digest it computed) rather than
pretending. Pulling is the only network use in glm-lsp, it happens only on this explicit command,
and it fails fast with a clear message when offline.

One entry may be marked ``default = true``: the embedded model glm-lsp uses when no model is
configured (it ships next to the catalog, so it works offline). ``$GLM_LSP_CATALOG`` points at
another catalog file; entries' ``local`` paths are relative to the catalog that lists them, so a
test (or a packager) can swap the embedded default without touching the shipped one.
"""

from __future__ import annotations

import argparse
import hashlib
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

from glm_lsp.model.gguf_info import GgufError, read_gguf_info

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG_PATH = REPO_ROOT / "models" / "catalog.toml"
CATALOG_ENV = "GLM_LSP_CATALOG"
MODELS_DIR_ENV = "GLM_LSP_MODELS_DIR"


class CatalogError(ValueError):
    """The catalog file is readable TOML but its entries break a rule (message says which)."""


def catalog_path() -> Path:
    """``$GLM_LSP_CATALOG`` when set, else ``models/catalog.toml`` of this installation."""
    env = os.environ.get(CATALOG_ENV)
    return Path(env).expanduser() if env else CATALOG_PATH


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
    catalog_dir: Path | None = field(default=None, compare=False, repr=False)
    """Directory of the catalog file that listed this entry (set by ``load_catalog``)."""

    @property
    def pinned(self) -> bool:
        return len(self.sha256) == 64

    def path_in(self, models_dir: Path) -> Path:
        """Where the file lives: shipped next to the catalog, else in the models directory."""
        if self.local:
            return (self.catalog_dir or catalog_path().parent) / self.local
        return models_dir / self.file


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
    with no distinctive tokens), while the catalog entry a file was pulled for can.
    """
    try:
        names = {e.template for e in load_catalog() if e.file and e.file == path.name}
    except (OSError, ValueError, TypeError):
        return None
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


def hub_reachable(timeout: float = 3.0) -> str | None:
    """``None`` when the hub answers a TCP connect, else why not (offline in seconds)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0"):
        return "HF_HUB_OFFLINE is set"
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = urlparse(endpoint).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError as exc:
        return f"cannot reach {host} ({exc})"
    return None


# -- command line ----------------------------------------------------------------------------


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _cmd_list(entries: list[CatalogEntry], directory: Path) -> int:
    _out(f"models directory: {directory}  (set {MODELS_DIR_ENV} to change)")
    for entry in entries:
        path = entry.path_in(directory)
        state = "present" if entry.file and path.is_file() else "not downloaded"
        pin = "sha256 pinned" if entry.pinned else "sha256 NOT pinned"
        star = " *recommended*" if entry.recommended else ""
        star += " *embedded default*" if entry.default else ""
        head = f"{entry.name:<20} {entry.size_hint:>10}  template={entry.template:<14}"
        _out(f"{head} {state}, {pin}{star}")
        _out(f"    {entry.title}")
        where = (entry.repo and f"{entry.repo}/{entry.file}") or entry.local or "(no hub file)"
        _out(f"    {where}; licence: {entry.license}")
        if entry.notes:
            _out(f"    {entry.notes}")
    return 0


def _cmd_pull(entry: CatalogEntry, directory: Path, timeout: float) -> int:
    if entry.local:
        _out(f"{entry.name} ships with glm-lsp: {entry.path_in(directory)}")
        return _verify_one(entry.path_in(directory), entry)
    if not entry.repo or not entry.file:
        _err(f"{entry.name}: no hub file is pinned in the catalog. {entry.notes}")
        return 2
    why = hub_reachable(timeout)
    if why is not None:
        _err(
            f"cannot download {entry.name}: offline ({why}).\n"
            f"Download https://huggingface.co/{entry.repo}/blob/main/{entry.file} on a machine"
            f" with network, copy it to {directory}, then run `glm-lsp models verify`."
        )
        return 3
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:  # pragma: no cover - it is a dependency
        _err("huggingface_hub is not installed: pip install huggingface_hub")
        return 2
    directory.mkdir(parents=True, exist_ok=True)
    _err(f"downloading {entry.repo}/{entry.file} ({entry.size_hint}) to {directory}")
    try:
        downloaded = Path(
            hf_hub_download(repo_id=entry.repo, filename=entry.file, local_dir=str(directory))
        )
    except Exception as exc:  # network, auth, disk: all end the command with a message
        _err(f"download of {entry.name} failed: {exc}")
        return 3
    return _verify_one(downloaded, entry)


def _progress(done: int, total: int) -> None:
    if total >= 256 << 20:
        sys.stderr.write(f"\rsha256 {done * 100 // max(total, 1):3d}%")
        if done >= total:
            sys.stderr.write("\n")


def _verify_one(path: Path, entry: CatalogEntry | None) -> int:
    """0: valid (pinned match or unpinned-but-well-formed); 1: bad file or mismatch."""
    try:
        info = read_gguf_info(path, tokens=False)
    except GgufError as exc:
        _out(f"FAIL {path}: {exc}")
        return 1
    if entry is not None and entry.size and info.file_size != entry.size:
        _out(f"FAIL {path}: {info.file_size} bytes, catalog says {entry.size}")
        return 1
    digest = sha256_file(path, _progress)
    label = f"{entry.name}: " if entry else ""
    if entry is None:
        _out(
            f"OK?  {path}: not a catalog file; GGUF header fine (arch {info.architecture});"
            f" sha256 {digest}"
        )
        return 0
    if not entry.pinned:
        _out(
            f"OK?  {label}{path}: GGUF header fine, but the catalog pins no sha256 for it"
            f" (not verified). sha256 {digest}"
        )
        return 0
    if digest != entry.sha256:
        _out(f"FAIL {label}{path}: sha256 {digest} != pinned {entry.sha256}")
        return 1
    _out(f"OK   {label}{path}: sha256 matches")
    return 0


def _cmd_verify(target: str | None, entries: list[CatalogEntry], directory: Path) -> int:
    if target is None:
        present = [(e, e.path_in(directory)) for e in entries if e.file]
        present = [(e, p) for e, p in present if p.is_file()]
        if not present:
            _out(f"no catalog model found in {directory}")
            return 0
        return max(_verify_one(p, e) for e, p in present)
    entry = find_entry(target, entries)
    if entry is not None:
        path = entry.path_in(directory)
        if not path.is_file():
            hint = f"run `glm-lsp models pull {entry.name}`"
            _out(f"FAIL {entry.name}: not downloaded ({path}); {hint}")
            return 1
        return _verify_one(path, entry)
    path = Path(target).expanduser()
    if not path.is_file():
        _out(f"FAIL {target}: no such file and no catalog model of that name")
        return 1
    match = next((e for e in entries if e.file and e.file == path.name), None)
    return _verify_one(path, match)


def models_main(argv: list[str] | None = None) -> int:
    """``glm-lsp models ...``; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="glm-lsp models", description="GLM model catalog")
    parser.add_argument("--catalog", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, default=None, help="models directory")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="show catalog models and whether they are present")
    pull = sub.add_parser("pull", help="download a model from the Hugging Face hub")
    pull.add_argument("name")
    pull.add_argument("--timeout", type=float, default=3.0, help="network check timeout (s)")
    verify = sub.add_parser("verify", help="check sha256 and GGUF integrity")
    verify.add_argument("target", nargs="?", help="a GGUF path or a catalog name (default: all)")
    args = parser.parse_args(argv)
    try:
        entries = load_catalog(args.catalog)
    except (OSError, tomllib.TOMLDecodeError, CatalogError) as exc:
        _err(f"cannot read the model catalog: {exc}")
        return 2
    directory = args.dir.expanduser() if args.dir else models_dir()
    if args.command in (None, "list"):
        return _cmd_list(entries, directory)
    if args.command == "pull":
        entry = find_entry(args.name, entries)
        if entry is None:
            _err(f"unknown model {args.name!r}; known: {', '.join(e.name for e in entries)}")
            return 2
        return _cmd_pull(entry, directory, args.timeout)
    return _cmd_verify(args.target, entries, directory)


main = models_main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(models_main(sys.argv[1:]))
