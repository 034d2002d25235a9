"""``glm-lsp models list | pull NAME | verify [PATH|NAME]``: the catalog on the command line.

Exit codes (also in the catalog module's docstring and ``glm-lsp models --help``):
0 success; 1 a file failed verification (bad GGUF, size or sha256 mismatch, not downloaded);
2 usage or catalog error; 3 the download failed (offline, HTTP error, models directory not
writable, disk full, interrupted); 4 ``verify`` of a catalog entry whose sha256 is not pinned.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TextIO

from glm_lsp.model.catalog import (
    EXIT_DOWNLOAD_FAILED,
    EXIT_NOT_PINNED,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VERIFY_FAILED,
    MODELS_DIR_ENV,
    CatalogEntry,
    find_entry,
    load_catalog,
    models_dir,
    sha256_file,
)
from glm_lsp.model.gguf_info import GgufError, read_gguf_info
from glm_lsp.model.pull import PullError, PullProgress, pull

EPILOG = """exit codes: 0 success; 1 a file failed verification (bad GGUF, size or sha256
mismatch, not downloaded); 2 usage or catalog error; 3 download failed (offline, HTTP error,
models directory not writable, disk full, interrupted); 4 verify: the catalog pins no sha256
for the entry (nothing to check it against; the digest is printed so it can be pinned)"""


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


class ProgressBar:
    """Download and sha256 progress on stderr: a redrawn bar on a terminal, else one line per
    stage (logs and CI output stay readable)."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.stage = ""
        self.start = time.monotonic()
        self.first = 0
        self.drawn = False

    def __call__(self, p: PullProgress) -> None:
        if p.stage != self.stage:
            self.finish()
            self.stage, self.start, self.first = p.stage, time.monotonic(), p.done
            if not self.tty:
                resumed = ""
                if p.stage == "download" and p.done:
                    resumed = f", resuming at {p.done / 1e6:.1f} MB"
                what = "downloading" if p.stage == "download" else "checking sha256 of"
                size = f" ({p.total / 1e6:.1f} MB{resumed})" if p.total else ""
                self.stream.write(f"{what} {self.label}{size}\n")
                self.stream.flush()
        if self.tty:
            self._draw(p)

    def _draw(self, p: PullProgress) -> None:
        pct = p.percent
        filled = (pct or 0) * self.WIDTH // 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = max(time.monotonic() - self.start, 1e-3)
        rate = (p.done - self.first) / elapsed / 1e6
        total = f"/{p.total / 1e6:.1f}" if p.total else ""
        head = "download" if p.stage == "download" else "sha256  "
        shown = f"{pct:3d}%" if pct is not None else " ?? "
        self.stream.write(f"\r{head} [{bar}] {shown} {p.done / 1e6:.1f}{total} MB {rate:.1f} MB/s")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _cmd_list(entries: list[CatalogEntry], directory: Path) -> int:
    _out(f"models directory: {directory}  (set {MODELS_DIR_ENV} to change)")
    for entry in entries:
        path = entry.path_in(directory)
        if entry.local:
            state = "shipped with glm-lsp" if path.is_file() else f"MISSING ({path})"
        else:
            state = "present" if entry.file and path.is_file() else "not downloaded"
        pin = "sha256 pinned" if entry.pinned else "sha256 NOT pinned"
        star = " *recommended*" if entry.recommended else ""
        star += " *embedded default*" if entry.default else ""
        head = f"{entry.name:<20} {entry.size_hint:>10}  template={entry.template:<14}"
        _out(f"{head} {state}, {pin}{star}")
        _out(f"    {entry.title}")
        where = (entry.repo and f"{entry.repo}/{entry.file}") or str(path) or "(no hub file)"
        _out(f"    {where}; licence: {entry.license}")
        if entry.notes:
            _out(f"    {entry.notes}")
    return EXIT_OK


def _cmd_pull(entry: CatalogEntry, directory: Path, timeout: float) -> int:
    if entry.local:
        _out(f"{entry.name} ships with glm-lsp: {entry.path_in(directory)}")
        return _verify_one(entry.path_in(directory), entry)
    bar = ProgressBar(f"{entry.repo}/{entry.file}")
    # huggingface_hub logs each retry of a dropped connection; the bar and the one-line
    # result say what the user needs
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    try:
        result = pull(entry, directory, progress=bar, timeout=timeout)
    except PullError as exc:
        bar.finish()
        _err(exc.message)
        return exc.code
    except KeyboardInterrupt:
        bar.finish()
        _err(f"download of {entry.name} interrupted; run pull again to resume it")
        return EXIT_DOWNLOAD_FAILED
    bar.finish()
    if not result.downloaded:
        _out(f"{entry.name} is already present: {result.path}")
    if result.verified:
        _out(f"OK   {entry.name}: {result.path}: sha256 matches")
    else:
        _out(
            f"OK?  {entry.name}: {result.path}: downloaded, GGUF header fine; the catalog pins"
            f" no sha256 for it (not pinned, not verified). sha256 {result.sha256}"
        )
    return EXIT_OK


def _sha_progress(done: int, total: int) -> None:
    if total >= 256 << 20:
        sys.stderr.write(f"\rsha256 {done * 100 // max(total, 1):3d}%")
        if done >= total:
            sys.stderr.write("\n")


def _verify_one(path: Path, entry: CatalogEntry | None) -> int:
    """0 valid (pinned match, or a non-catalog file that is well-formed); 1 bad file or
    mismatch; 4 a catalog entry that pins no sha256 (well-formed, but nothing verified)."""
    try:
        info = read_gguf_info(path, tokens=False)
    except GgufError as exc:
        _out(f"FAIL {path}: {exc}")
        return EXIT_VERIFY_FAILED
    if entry is not None and entry.size and info.file_size != entry.size:
        _out(f"FAIL {path}: {info.file_size} bytes, catalog says {entry.size}")
        return EXIT_VERIFY_FAILED
    digest = sha256_file(path, _sha_progress)
    if entry is None:
        _out(
            f"OK?  {path}: not a catalog file; GGUF header fine (arch {info.architecture});"
            f" sha256 {digest}"
        )
        return EXIT_OK
    label = f"{entry.name}: "
    if not entry.pinned:
        _out(
            f"NOT PINNED {label}{path}: GGUF header fine, but the catalog pins no sha256 for it,"
            f" so it is not verified. sha256 {digest}"
        )
        return EXIT_NOT_PINNED
    if digest != entry.sha256:
        _out(f"FAIL {label}{path}: sha256 {digest} != pinned {entry.sha256}")
        return EXIT_VERIFY_FAILED
    _out(f"OK   {label}{path}: sha256 matches")
    return EXIT_OK


def _worst(codes: list[int]) -> int:
    """A failure outranks "not pinned", which outranks success."""
    for code in (EXIT_VERIFY_FAILED, EXIT_NOT_PINNED):
        if code in codes:
            return code
    return max(codes, default=EXIT_OK)


def _cmd_verify(target: str | None, entries: list[CatalogEntry], directory: Path) -> int:
    if target is None:
        present = [(e, e.path_in(directory)) for e in entries if e.file]
        present = [(e, p) for e, p in present if p.is_file()]
        if not present:
            _out(f"no catalog model found in {directory}")
            return EXIT_OK
        return _worst([_verify_one(p, e) for e, p in present])
    entry = find_entry(target, entries)
    if entry is not None:
        path = entry.path_in(directory)
        if not path.is_file():
            hint = f"run `glm-lsp models pull {entry.name}`"
            _out(f"FAIL {entry.name}: not downloaded ({path}); {hint}")
            return EXIT_VERIFY_FAILED
        return _verify_one(path, entry)
    path = Path(target).expanduser()
    if not path.is_file():
        _out(f"FAIL {target}: no such file and no catalog model of that name")
        return EXIT_VERIFY_FAILED
    matches = [e for e in entries if e.file and e.file == path.name]
    owner = [e for e in matches if e.name == path.parent.name]
    candidates = owner or matches
    return _verify_one(path, candidates[0] if candidates else None)


def models_main(argv: list[str] | None = None) -> int:
    """``glm-lsp models ...``; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="glm-lsp models",
        description="GLM model catalog",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--catalog", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, default=None, help="models directory")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="show catalog models and whether they are present")
    pull_cmd = sub.add_parser("pull", help="download a model from the Hugging Face hub")
    pull_cmd.add_argument("name")
    pull_cmd.add_argument("--timeout", type=float, default=3.0, help="network check timeout (s)")
    verify = sub.add_parser("verify", help="check sha256 and GGUF integrity")
    verify.add_argument("target", nargs="?", help="a GGUF path or a catalog name (default: all)")
    sub.add_parser(
        "calibrate",
        help="measure the confidence gate's threshold on your code "
        "(glm-lsp models calibrate NAME|PATH [--workspace DIR]; --help for more)",
    )
    args = parser.parse_args(argv)
    try:
        entries = load_catalog(args.catalog)
    except (OSError, ValueError) as exc:  # TOMLDecodeError and CatalogError are ValueErrors
        _err(f"cannot read the model catalog: {exc}")
        return EXIT_USAGE
    directory = args.dir.expanduser() if args.dir else models_dir()
    if args.command == "calibrate":  # handled by glm_lsp.cli (it runs the ghost path)
        _err("run it as: glm-lsp models calibrate NAME|PATH [--workspace DIR]")
        return EXIT_USAGE
    if args.command in (None, "list"):
        return _cmd_list(entries, directory)
    if args.command == "pull":
        entry = find_entry(args.name, entries)
        if entry is None:
            _err(f"unknown model {args.name!r}; known: {', '.join(e.name for e in entries)}")
            return EXIT_USAGE
        return _cmd_pull(entry, directory, args.timeout)
    return _cmd_verify(args.target, entries, directory)


main = models_main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(models_main(sys.argv[1:]))
