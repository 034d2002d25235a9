"""Training corpus for glm-code-tiny: which files, under which licence, held out or not.

Why a manifest: the corpus must be reproducible (same files, same bytes) and every file must be
attributable to a permissive licence. ``select`` walks the sources below and writes
``corpus-manifest.tsv`` (source, relative path, sha256, split); ``load`` reads it back and
*refuses* — with the offending path in the message — any file whose source has no allowed licence,
any file a package does not own (not in its installed RECORD), and any file whose bytes changed.

Sources:
- the CPython standard library of the running interpreter (PSF-2.0, ``LICENSE.txt`` beside it);
- a pinned list of installed PyPI distributions whose metadata declares a permissive licence
  (the SPDX expression or licence classifier is read from the installed metadata, never assumed).

Held out (never trained on): the top-level stdlib modules that ``tests/benchmarks/bench_ranking.py``
puts in its *test* half (same hash rule), so the ranking benchmark with the model on measures
code the model has not seen; the line-completion evaluation samples from the same files.

    python models/tiny/corpus.py select      # writes corpus-manifest.tsv and prints a summary
    python models/tiny/corpus.py check       # verifies the manifest against this machine
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as md
import re
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "corpus-manifest.tsv"

ALLOWED_LICENCES = frozenset(
    {"PSF-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "BSD", "Apache-2.0", "ISC", "0BSD"}
)
"""SPDX ids (and the bare classifier "BSD") that allow training on and redistributing derived
weights with attribution. Anything else — MPL, LGPL, GPL, unknown — is refused."""

# (distribution, byte cap): permissive, mostly application/library code, capped so no single
# package dominates. Their licences are read from the installed metadata at selection time.
PACKAGES: tuple[tuple[str, int], ...] = (
    ("attrs", 400_000),
    ("cattrs", 400_000),
    ("lsprotocol", 600_000),
    ("pygls", 500_000),
    ("jedi", 900_000),
    ("parso", 400_000),
    ("diskcache", 300_000),
    ("mypy", 2_500_000),
    ("pytest", 1_500_000),
    ("pluggy", 200_000),
    ("packaging", 500_000),
    ("click", 500_000),
    ("requests", 300_000),
    ("urllib3", 500_000),
    ("idna", 100_000),
    ("Jinja2", 500_000),
    ("starlette", 300_000),
    ("fastapi", 600_000),
    ("pydantic", 1_500_000),
    ("huggingface_hub", 1_500_000),
    ("fsspec", 800_000),
    ("filelock", 200_000),
    ("anyio", 600_000),
    ("networkx", 2_000_000),
    ("uvicorn", 300_000),
    ("h11", 100_000),
    ("gguf", 600_000),
    ("typing_extensions", 200_000),
)

MIN_BYTES = 200
MAX_BYTES = 300_000
STDLIB_SKIP_DIRS = (
    "site-packages",
    "lib2to3/tests/data",
    "test/tokenizedata",
    "test/encoded_modules",
)


class CorpusError(Exception):
    """A corpus file that cannot be used: no licence, not owned by its source, or changed."""


@dataclass(frozen=True)
class Entry:
    source: str  # "cpython-stdlib" or a distribution name
    path: str  # relative to the source root
    sha256: str
    split: str  # "train" | "heldout"


@dataclass(frozen=True)
class Source:
    name: str
    version: str
    licence: str
    root: Path
    evidence: str  # where the licence was read from


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def is_heldout_module(name: str) -> bool:
    """The ranking benchmark's test half: sha1 of the file name, odd first byte."""
    return hashlib.sha1(name.encode()).digest()[0] % 2 == 1


def _stdlib_split(rel: str, text: str) -> str:
    if "/" in rel:
        return "train"
    lines = text.count("\n")
    eligible = 100 <= lines <= 3000 and not rel.startswith(("test", "_"))
    return "heldout" if eligible and is_heldout_module(rel) else "train"


def spdx_of(dist: md.Distribution) -> tuple[str, str]:
    """(licence, evidence) from installed metadata; "" when it cannot be determined."""
    meta = dist.metadata
    expr = (meta.get("License-Expression") or "").strip()
    if expr:
        return expr, "License-Expression"
    classifiers = [c for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")]
    table = {
        "MIT License": "MIT",
        "BSD License": "BSD",
        "Apache Software License": "Apache-2.0",
        "Python Software Foundation License": "PSF-2.0",
        "ISC License (ISCL)": "ISC",
    }
    for c in classifiers:
        name = c.rsplit("::", 1)[-1].strip()
        if name in table:
            return table[name], "classifier"
    field = (meta.get("License") or "").strip()
    if re.fullmatch(r"(?i)mit", field):
        return "MIT", "License field"
    if re.fullmatch(r"(?i)apache[- ]2\.0|apache 2\.0", field):
        return "Apache-2.0", "License field"
    if re.fullmatch(r"(?i)bsd", field):
        return "BSD", "License field"
    return "", "none"


def licence_allowed(expr: str) -> bool:
    """Every term of an AND/OR expression must be allowed (conservative for OR too)."""
    if not expr:
        return False
    terms = [t.strip("() ") for t in re.split(r"\s+(?:AND|OR)\s+", expr)]
    return all(t in ALLOWED_LICENCES for t in terms)


def sources() -> dict[str, Source]:
    out = {
        "cpython-stdlib": Source(
            "cpython-stdlib",
            sys.version.split()[0],
            "PSF-2.0",
            stdlib_root(),
            "LICENSE.txt of the interpreter (PSF License Agreement)",
        )
    }
    for name, _cap in PACKAGES:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        licence, evidence = spdx_of(dist)
        root = Path(str(dist.locate_file("")))
        out[name] = Source(name, dist.version, licence, root, evidence)
    return out


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _usable(data: bytes) -> str | None:
    if not MIN_BYTES <= len(data) <= MAX_BYTES or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _stdlib_skipped(rel: str) -> bool:
    """Directories under the stdlib root that are not (usable) standard library code."""
    return any(rel.startswith(d) or f"/{d}" in rel for d in STDLIB_SKIP_DIRS)


def _stdlib_files(root: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if _stdlib_skipped(rel):
            continue
        yield rel, path.read_bytes()


def _package_files(name: str, cap: int) -> Iterator[tuple[str, bytes]]:
    dist = md.distribution(name)
    used = 0
    for f in sorted(dist.files or [], key=str):
        rel = str(f)
        if not rel.endswith(".py") or ".dist-info" in rel or "/_vendor/" in rel:
            continue
        data = Path(str(dist.locate_file(f))).read_bytes()
        if used + len(data) > cap:
            continue
        used += len(data)
        yield rel, data


def select() -> list[Entry]:
    entries: list[Entry] = []
    src = sources()
    for rel, data in _stdlib_files(src["cpython-stdlib"].root):
        text = _usable(data)
        if text is not None:
            entries.append(Entry("cpython-stdlib", rel, _sha(data), _stdlib_split(rel, text)))
    for name, cap in PACKAGES:
        if name not in src:
            raise CorpusError(f"{name}: not installed (run scripts/setup.sh dev first)")
        if not licence_allowed(src[name].licence):
            raise CorpusError(f"{name}: licence {src[name].licence!r} is not allowed")
        for rel, data in _package_files(name, cap):
            if _usable(data) is not None:
                entries.append(Entry(name, rel, _sha(data), "train"))
    return entries


def write_manifest(entries: Iterable[Entry], path: Path = MANIFEST) -> None:
    src = sources()
    lines = ["# source\tversion\tlicence\tpath\tsha256\tsplit"]
    for e in entries:
        s = src[e.source]
        lines.append(f"{e.source}\t{s.version}\t{s.licence}\t{e.path}\t{e.sha256}\t{e.split}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Document:
    source: str
    path: str  # relative to its source root: what the model sees as ###PATH
    text: str
    split: str


def load(path: Path = MANIFEST, *, verify_hash: bool = True) -> list[Document]:
    """The manifest's files, each checked; raises ``CorpusError`` naming the first bad one."""
    src = sources()
    docs: list[Document] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 6:
            raise CorpusError(f"{path}:{lineno}: expected 6 tab-separated fields")
        source, version, licence, rel, digest, split = parts
        where = f"{path}:{lineno}: {source}/{rel}"
        if source not in src:
            raise CorpusError(f"{where}: source {source!r} is unknown: cannot attribute a licence")
        have = src[source]
        if not licence_allowed(have.licence) or licence != have.licence:
            raise CorpusError(
                f"{where}: licence {licence!r} (installed metadata says {have.licence!r}) "
                "is not an allowed permissive licence"
            )
        if have.version != version:
            raise CorpusError(f"{where}: pinned {source} {version}, found {have.version}")
        file = (have.root / rel).resolve()
        if not file.is_relative_to(have.root.resolve()):
            raise CorpusError(f"{where}: path escapes its source")
        inside = file.relative_to(have.root.resolve()).as_posix()
        if source == "cpython-stdlib" and _stdlib_skipped(inside):
            # e.g. the base interpreter's site-packages: third-party code, not PSF-licensed
            raise CorpusError(f"{where}: not standard library code ({inside})")
        if source != "cpython-stdlib" and not _owned(source, rel):
            raise CorpusError(f"{where}: not a file of the {source} distribution")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CorpusError(f"{where}: {exc}") from exc
        if verify_hash and _sha(data) != digest:
            raise CorpusError(f"{where}: content differs from the pinned sha256")
        docs.append(Document(source, rel, data.decode("utf-8"), split))
    return docs


_OWNED: dict[str, frozenset[str]] = {}


def _owned(source: str, rel: str) -> bool:
    if source not in _OWNED:
        files = md.distribution(source).files or []
        _OWNED[source] = frozenset(str(f) for f in files)
    return rel in _OWNED[source]


def summary(docs: list[Document]) -> str:
    by: dict[tuple[str, str], list[int]] = {}
    for d in docs:
        row = by.setdefault((d.source, d.split), [0, 0])
        row[0] += 1
        row[1] += len(d.text.encode())
    lines = ["| source | split | files | bytes |", "|---|---|---|---|"]
    for (source, split), (n, size) in sorted(by.items()):
        lines.append(f"| {source} | {split} | {n} | {size:,} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("select", "check", "licences"))
    args = parser.parse_args(argv)
    try:
        if args.command == "select":
            write_manifest(select())
        if args.command == "licences":
            for s in sources().values():
                sys.stdout.write(f"{s.name}\t{s.version}\t{s.licence}\t{s.evidence}\n")
            return 0
        docs = load()
    except CorpusError as exc:
        sys.stderr.write(f"corpus: {exc}\n")
        return 2
    sys.stdout.write(summary(docs) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
