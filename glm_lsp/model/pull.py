"""Downloading a catalog model from the Hugging Face hub (``glm-lsp models pull`` and the editor
command ``glm-lsp.pull``): one engine, a progress callback, one-line errors.

Where files go: ``<models dir>/<entry name>/<file>`` (see ``CatalogEntry.path_in``). The download
runs through ``huggingface_hub`` (auth tokens, redirects, ``$HF_ENDPOINT``, mirrors) into a staging
directory ``<entry dir>/.partial/``, where an interrupted download stays (Ctrl-C, a dropped
connection, a closed editor) and the next pull resumes it with an HTTP ``Range`` request. Only a
complete file whose size and pinned sha256 match (and whose GGUF header reads) replaces the file
in place, atomically: a bad download is removed and the previous good file is kept.

Failures are :class:`PullError`: one line for the user and the ``glm-lsp models`` exit code.
No network (the hub does not answer a TCP connect) fails in seconds, before huggingface_hub's
retries; an unwritable models directory, a full disk and a sha256 mismatch each say so in words.
"""

from __future__ import annotations

import errno
import inspect
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glm_lsp.model.catalog import (
    EXIT_DOWNLOAD_FAILED,
    EXIT_USAGE,
    EXIT_VERIFY_FAILED,
    MODELS_DIR_ENV,
    CatalogEntry,
    hub_endpoint,
    hub_reachable,
    sha256_file,
)
from glm_lsp.model.gguf_info import GgufError, read_gguf_info

STAGING_DIR = ".partial"
"""Per-entry directory holding the download in progress (huggingface_hub's ``local_dir``)."""
SPACE_MARGIN = 64 << 20
"""Free space kept beyond the bytes still to download (the filesystem needs some too)."""


@dataclass(frozen=True)
class PullProgress:
    """One progress report: ``stage`` is ``"download"`` or ``"verify"`` (sha256); ``total`` 0
    means unknown."""

    stage: str
    done: int
    total: int

    @property
    def percent(self) -> int | None:
        return min(100, self.done * 100 // self.total) if self.total > 0 else None


ProgressFn = Callable[[PullProgress], None]


class PullError(Exception):
    """A pull that failed: ``message`` is one line for the user, ``code`` the exit status."""

    def __init__(self, message: str, code: int = EXIT_DOWNLOAD_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PullCancelled(Exception):
    """Raised from the progress hook when the caller's ``cancelled()`` says so."""


@dataclass(frozen=True)
class PullResult:
    entry: CatalogEntry
    path: Path
    sha256: str
    downloaded: bool
    """False: the file was already there (shipped with glm-lsp, or pulled before)."""

    @property
    def verified(self) -> bool:
        """The sha256 matches a pinned digest (False for an entry that pins none)."""
        return self.entry.pinned and self.sha256 == self.entry.sha256


def hub_url(entry: CatalogEntry, revision: str = "main") -> str:
    return f"{hub_endpoint()}/{entry.repo}/resolve/{revision}/{entry.file}"


def pull(
    entry: CatalogEntry,
    directory: Path,
    *,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeout: float = 3.0,
) -> PullResult:
    """Make ``entry``'s file present in ``directory`` and return where it is.

    Blocking (network and disk): callers on an event loop run it in a thread. ``progress`` is
    called from that thread; ``cancelled`` is polled on every progress step and stops the
    download (the partial file stays, and the next pull resumes it).
    """
    report = progress or (lambda _p: None)
    if entry.local:
        path = entry.path_in(directory)
        if not path.is_file():
            raise PullError(
                f"{entry.name} ships with glm-lsp but {path} is missing: reinstall glm-lsp",
                EXIT_VERIFY_FAILED,
            )
        return PullResult(entry, path, _digest(path, report), downloaded=False)
    if not entry.repo or not entry.file:
        raise PullError(
            f"{entry.name}: no hub file is known for it in the catalog. {entry.notes}".strip(),
            EXIT_USAGE,
        )
    target = entry.path_in(directory)
    if target.is_file():
        digest = _digest(target, report)
        if not entry.pinned or digest == entry.sha256:
            return PullResult(entry, target, digest, downloaded=False)
        # present but not the pinned file: fetch again; it stays until the new one verifies
    why = hub_reachable(timeout)
    if why is not None:
        raise PullError(
            f"cannot download {entry.name}: offline ({why}); fetch {hub_url(entry)} on a"
            f" machine with network and copy it to {target}"
        )
    staging = target.parent / STAGING_DIR
    _prepare(staging, directory)
    staged = _download(entry, staging, report, cancelled, timeout)
    try:
        digest = _check(entry, staged, target, report)
        os.replace(staged, target)
    except BaseException:
        _discard(staging)
        raise
    _discard(staging)
    return PullResult(entry, target, digest, downloaded=True)


def _digest(path: Path, report: ProgressFn) -> str:
    return sha256_file(path, lambda done, total: report(PullProgress("verify", done, total)))


def _prepare(staging: Path, directory: Path) -> None:
    """The staging directory exists and takes a file, or one line saying why not."""
    try:
        staging.mkdir(parents=True, exist_ok=True)
        probe = staging / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise PullError(
            f"cannot write to the models directory {directory}: {exc.strerror or exc}"
            f" (choose another with --dir or ${MODELS_DIR_ENV})"
        ) from None


def _partial_bytes(staging: Path) -> int:
    """Bytes of an interrupted download waiting in ``staging`` (resumed, not fetched again)."""
    return sum(p.stat().st_size for p in staging.glob("*.part") if p.is_file())


def _check_space(entry: CatalogEntry, staging: Path, size: int) -> None:
    if size <= 0:
        return
    needed = max(0, size - _partial_bytes(staging))
    free = shutil.disk_usage(staging).free
    if free < needed + SPACE_MARGIN:
        raise PullError(
            f"not enough disk space for {entry.name} in {staging.parent.parent}: it needs"
            f" {_mb(needed)} more and {_mb(free)} is free"
            f" (free some space or choose another directory with --dir or ${MODELS_DIR_ENV})"
        )


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _download(
    entry: CatalogEntry,
    staging: Path,
    report: ProgressFn,
    cancelled: Callable[[], bool] | None,
    timeout: float,
) -> Path:
    """Fetch the file into ``staging/<file>.<etag>.part``, appending to what an interrupted pull
    left there (an HTTP ``Range`` request), and return that path once it is complete.

    huggingface_hub does the talking: ``get_hf_file_metadata`` (endpoint, token, redirects to
    the CDN, ETag and size) and its ``http_get`` (Range, retries on a dropped connection). Not
    ``hf_hub_download``: it deletes its partial file when interrupted, and a 6 GB download
    must survive Ctrl-C, a closed laptop or a restarted editor.
    """
    try:
        import huggingface_hub
        from huggingface_hub.file_download import http_get
        from huggingface_hub.utils import build_hf_headers
    except ImportError:  # pragma: no cover - it is a dependency
        raise PullError("huggingface_hub is not installed: pip install huggingface_hub") from None
    endpoint = hub_endpoint()
    try:
        url = huggingface_hub.hf_hub_url(entry.repo, entry.file, endpoint=endpoint)
        meta = huggingface_hub.get_hf_file_metadata(url, timeout=max(timeout, 10.0))
    except Exception as exc:
        raise PullError(f"cannot download {entry.name} from {endpoint}: {_one_line(exc)}") from None
    size = int(meta.size or entry.size or 0)
    tag = "".join(c for c in str(meta.etag or meta.commit_hash or "") if c.isalnum())[:16]
    part = staging / f"{entry.file}.{tag or 'nometa'}.part"
    for stale in staging.glob("*.part"):
        if stale != part:  # the hub file changed since: its bytes cannot be resumed
            stale.unlink(missing_ok=True)
    if part.is_file() and size and part.stat().st_size > size:
        part.unlink()
    _check_space(entry, staging, size)
    kwargs: dict[str, Any] = {
        "headers": build_hf_headers(),
        "expected_size": size or None,
    }
    reporter = _reporter_class(report, cancelled, size)
    if "tqdm_class" in inspect.signature(http_get).parameters:
        kwargs["tqdm_class"] = reporter
    # else (an older huggingface_hub): its own bar on stderr, no callback, no cancelling
    try:
        with part.open("ab") as handle:
            kwargs["resume_size"] = handle.tell()
            if size and kwargs["resume_size"] >= size:
                return part
            http_get(meta.location or url, handle, **kwargs)
    except PullCancelled:
        raise PullError(
            f"download of {entry.name} cancelled; run pull again to resume it", EXIT_DOWNLOAD_FAILED
        ) from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise PullError(
                f"disk full while downloading {entry.name} to {staging.parent}: free some space"
                " and run pull again (it resumes where it stopped)"
            ) from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise PullError(
                f"cannot write to the models directory {staging.parent.parent}:"
                f" {exc.strerror or exc} (choose another with --dir or ${MODELS_DIR_ENV})"
            ) from None
        raise PullError(f"download of {entry.name} failed: {_one_line(exc)}") from None
    except Exception as exc:  # network, HTTP status, auth: all end the pull with one line
        raise PullError(f"download of {entry.name} failed: {_one_line(exc)}") from None
    return part


def _check(entry: CatalogEntry, staged: Path, target: Path, report: ProgressFn) -> str:
    """The staged file's sha256, or ``PullError`` (the caller removes the staged file)."""
    kept = f"; the previous file {target} is kept" if target.is_file() else ""
    size = staged.stat().st_size
    if entry.size and size != entry.size:
        raise PullError(
            f"download of {entry.name} is {size} bytes, the catalog says {entry.size}:"
            f" removed{kept}",
            EXIT_VERIFY_FAILED,
        )
    digest = _digest(staged, report)
    if entry.pinned and digest != entry.sha256:
        raise PullError(
            f"sha256 mismatch for {entry.name}: downloaded {digest}, the catalog pins"
            f" {entry.sha256}; the download was removed{kept}",
            EXIT_VERIFY_FAILED,
        )
    try:
        read_gguf_info(staged, tokens=False)
    except GgufError as exc:
        raise PullError(
            f"download of {entry.name} is not a usable GGUF file ({exc}): removed{kept}",
            EXIT_VERIFY_FAILED,
        ) from None
    return digest


def _discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _reporter_class(
    report: ProgressFn, cancelled: Callable[[], bool] | None, size: int = 0
) -> type:
    """A stand-in for tqdm that huggingface_hub drives: it forwards byte counts to ``report``
    (and draws nothing itself; the caller decides how progress is shown)."""

    class Reporter:
        def __init__(self, *args: Any, total: int | None = None, initial: int = 0, **_: Any):
            self.n = int(initial or 0)
            self.total = int(size or total or 0)
            self._last = 0.0
            report(PullProgress("download", self.n, self.total))

        def update(self, n: int | float | None = 1) -> None:
            self.n += int(n or 0)
            if cancelled is not None and cancelled():
                raise PullCancelled
            now = time.monotonic()
            if now - self._last >= 0.1 or (self.total and self.n >= self.total):
                self._last = now
                report(PullProgress("download", self.n, self.total))

        def close(self) -> None:
            pass

        def __enter__(self) -> Reporter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

        def __getattr__(self, name: str) -> Callable[..., None]:
            # tqdm methods huggingface_hub may call (set_description, refresh, ...): no-ops
            return lambda *args, **kwargs: None

    return Reporter
