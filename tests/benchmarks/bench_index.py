"""Workspace index cost: cold build, warm rebuild, memory, and the cost of one edit.

The workspace is a copy of a slice of the running Python's standard library (code none of us
wrote), at least ``--lines`` lines. Phases:

- **cold**: a fresh index and an empty cache directory; every file is read, parsed, extracted
  and persisted;
- **warm**: a new index over the same cache directory (a server restart): files are read and
  hashed, nothing should be parsed;
- **edit**: ``update_file`` on a ~1,000-line file (``--edit-lines``) after a one-character
  change, (a) from text alone and (b) with a tree reparsed incrementally the way the syntax
  layer hands it over; the parse itself is timed separately, and so is a from-scratch
  extraction without region reuse (what every edit cost before).

    python tests/benchmarks/bench_index.py              # 50k lines
    python tests/benchmarks/bench_index.py --lines 200000 --edits 200
"""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from glm_lsp.analysis import extract
from glm_lsp.analysis.extract import extract_symbols
from glm_lsp.analysis.index import IndexOptions, WorkspaceIndex
from glm_lsp.cache import Stores
from glm_lsp.syntax.languages import spec_for

TARGETS = {"cold_s": 10.0, "edit_ms": 2.0, "rss_mb": 150.0}


def rss_mb() -> float:
    """Current resident set size (psutil when installed, else /proc, else the peak)."""
    try:
        import psutil  # type: ignore[import-untyped]

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:
        pass
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return peak_mb()


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def copy_stdlib(dest: Path, min_lines: int) -> tuple[int, int]:
    """Copy stdlib modules (no tests) into ``dest`` until ``min_lines``; returns (files, lines)."""
    src = Path(sysconfig.get_paths()["stdlib"])
    files = lines = 0
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if any(p in ("test", "tests", "idlelib", "site-packages", "lib2to3") for p in rel.parts):
            continue
        try:
            n = path.read_bytes().count(b"\n")
        except OSError:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        files += 1
        lines += n
        if lines >= min_lines:
            break
    return files, lines


def pick_file(root: Path, around: int) -> Path:
    best, best_gap = None, None
    for path in root.rglob("*.py"):
        gap = abs(path.read_bytes().count(b"\n") - around)
        if best_gap is None or gap < best_gap:
            best, best_gap = path, gap
    assert best is not None
    return best


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--edit-lines", type=int, default=1000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="glm-bench-index-"))
    try:
        root, cache = work / "ws", work / "cache"
        files, lines = copy_stdlib(root, args.lines)
        spec = spec_for("python")
        assert spec is not None
        spec.parser().parse(b"x = 1\n")  # load the grammar before measuring memory
        extract_symbols(spec, "x = 1\n", None, "warm.py")
        gc.collect()
        base_rss = rss_mb()

        index = WorkspaceIndex(Stores(cache), IndexOptions(max_file_size=2_000_000))
        start = time.perf_counter()
        index.build(root)
        cold = time.perf_counter() - start
        gc.collect()
        cold_rss = rss_mb()
        stats = index.stats()

        warm_index = WorkspaceIndex(Stores(cache), IndexOptions(max_file_size=2_000_000))
        start = time.perf_counter()
        warm_index.build(root)
        warm = time.perf_counter() - start
        warm_parsed = warm_index.parsed
        del warm_index
        gc.collect()

        target = pick_file(root, args.edit_lines)
        text = target.read_text(encoding="utf-8")
        path = str(target)
        plain, with_tree, shared, parse, full = [], [], [], [], []
        data = text.encode()
        tree = spec.parser().parse(data)
        mid = len(text) // 2
        for i in range(args.edits):
            pos = mid + i
            edited = [text[:pos] + ch + text[pos:] for ch in "xyz"]  # fresh texts: no memo hits
            start = time.perf_counter()
            index.update_file(path, edited[0])
            plain.append(time.perf_counter() - start)

            # what the syntax layer does: edit the old tree and reparse incrementally
            byte = len(text[:pos].encode())
            old = tree.copy()
            point = _point(data, byte)
            old.edit(byte, byte, byte + 1, point, point, (point[0], point[1] + 1))
            start = time.perf_counter()
            new_tree = spec.parser().parse(edited[1].encode(), old)
            parse.append(time.perf_counter() - start)
            start = time.perf_counter()
            index.update_file(path, edited[1], None, new_tree)
            with_tree.append(time.perf_counter() - start)

            # the completion engine already extracted this text for the open document
            extract_symbols(spec, edited[2], None, path)
            start = time.perf_counter()
            index.update_file(path, edited[2])
            shared.append(time.perf_counter() - start)

            # before region reuse: the same edit extracted from scratch (tree given)
            extract.REUSE_REGIONS = False
            start = time.perf_counter()
            extract._extract(spec, edited[1], new_tree, path + ".full")
            full.append(time.perf_counter() - start)
            extract.REUSE_REGIONS = True
        edit_lines = text.count("\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("workspace", f"{files} files, {lines} lines", ""),
        ("symbols indexed", f"{stats['symbols']}", ""),
        ("cold build", f"{cold:.2f} s ({lines / cold:,.0f} lines/s)", f"<= {TARGETS['cold_s']} s"),
        ("warm rebuild (restart)", f"{warm:.2f} s, {warm_parsed} files parsed", "parses nothing"),
        (
            "RSS after cold build",
            f"{cold_rss:.0f} MB (+{cold_rss - base_rss:.0f} MB)",
            f"<= {TARGETS['rss_mb']:.0f} MB",
        ),
        ("peak RSS (whole run)", f"{peak_mb():.0f} MB", ""),
        (
            f"edit, text only ({edit_lines} lines) p50/p95",
            f"{pct(plain, 0.5) * 1e3:.1f} / {pct(plain, 0.95) * 1e3:.1f} ms",
            f"<= {TARGETS['edit_ms']} ms",
        ),
        (
            "edit, tree given p50/p95",
            f"{pct(with_tree, 0.5) * 1e3:.1f} / {pct(with_tree, 0.95) * 1e3:.1f} ms",
            f"<= {TARGETS['edit_ms']} ms",
        ),
        (
            "edit, symbols shared with engine p50/p95",
            f"{pct(shared, 0.5) * 1e3:.1f} / {pct(shared, 0.95) * 1e3:.1f} ms",
            f"<= {TARGETS['edit_ms']} ms",
        ),
        (
            "edit, full extraction without region reuse p50/p95",
            f"{pct(full, 0.5) * 1e3:.1f} / {pct(full, 0.95) * 1e3:.1f} ms",
            "(before)",
        ),
        ("incremental reparse alone p50", f"{statistics.median(parse) * 1e3:.1f} ms", ""),
    ]
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"{'measure':<{width}}  {'value':<{vwidth}}  target")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:<{vwidth}}  {goal}")
    return 0


def _point(data: bytes, byte: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, byte)
    return (row, byte - (data.rfind(b"\n", 0, byte) + 1))


if __name__ == "__main__":
    raise SystemExit(main())
