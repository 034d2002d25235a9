"""Keeping trees current while typing: incremental vs full reparse, eager vs lazy.

Simulates typing on real files nobody here wrote (the running interpreter's standard library,
100-3,000 lines): at several positions inside function bodies a statement is typed one character
at a time; each keystroke is a ``didChange`` (``DocumentTrees.update``) and, depending on the
scenario, a completion request that needs the tree (``DocumentTrees.get``) after every keystroke
or after every 4th one (fast typing, the client cancelling requests). Reported per keystroke:
median and p95 of the time spent in ``update`` + ``get``. A second table times ``build_context``
(the whole cursor context with a tree) at positions right after ``.`` and at identifier starts.

    python tests/benchmarks/bench_parse.py
    python tests/benchmarks/bench_parse.py --files argparse.py textwrap.py --rounds 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import DocumentTrees, parse_text

DEFAULT_FILES = ("bisect.py", "textwrap.py", "dataclasses.py", "argparse.py", "tarfile.py")
TYPED = "result = self.options.get(key, default)"
STRATEGIES: dict[str, Callable[[], DocumentTrees]] = {
    "eager+incremental": lambda: DocumentTrees(),
    "eager+full": lambda: DocumentTrees(incremental=False),
    "lazy+incremental": lambda: DocumentTrees(lazy=True),
    "lazy+full": lambda: DocumentTrees(lazy=True, incremental=False),
}


def _positions(text: str, rng: random.Random, count: int) -> list[int]:
    """Starts of indented lines (inside bodies), where someone would type a new statement."""
    starts = [
        i + 1 for i, ch in enumerate(text) if ch == "\n" and text.startswith("        ", i + 1)
    ]
    rng.shuffle(starts)
    return sorted(starts[:count])


def _session(text: str, positions: list[int], autoclose: bool) -> list[str]:
    """Every intermediate text of typing ``TYPED`` + newline at each position in turn; with
    ``autoclose`` the editor inserts ``)`` together with ``(`` (so the text stays balanced)."""
    versions = []
    for pos in reversed(positions):  # from the end, so earlier positions stay valid
        for i in range(1, len(TYPED) + 2):
            typed = (TYPED + "\n")[:i]
            if i > len(TYPED):
                typed += "        "
            elif autoclose and "(" in typed and ")" not in typed:
                typed += ")"
            versions.append(text[:pos] + typed + text[pos:])
        text = versions[-1]
    return versions


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_typing(
    path: Path, every: int, autoclose: bool, rounds: int
) -> dict[str, tuple[float, float]]:
    text = path.read_text(encoding="utf-8")
    versions = _session(text, _positions(text, random.Random(path.name), 3), autoclose)
    out = {}
    for name, make in STRATEGIES.items():
        samples: list[float] = []
        for _ in range(rounds):
            trees = make()
            trees.update("file:///bench.py", text, 0, "python")
            trees.get("file:///bench.py")
            for n, version in enumerate(versions, start=1):
                start = time.perf_counter()
                trees.update("file:///bench.py", version, n)
                if n % every == 0:
                    trees.get("file:///bench.py")
                samples.append((time.perf_counter() - start) * 1000)
        out[name] = (statistics.median(samples), _pct(samples, 0.95))
    return out


def bench_context(path: Path) -> tuple[float, float, float, int]:
    spec = spec_for("python")
    assert spec is not None
    text = path.read_text(encoding="utf-8")
    tree = parse_text(spec, text)
    rng = random.Random(path.name)
    dots = [i + 1 for i, ch in enumerate(text) if ch == "." and text[i - 1 : i].isalnum()]
    idents = [i + 1 for i in range(1, len(text)) if text[i].isalpha() and not text[i - 1].isalnum()]
    offsets = rng.sample(dots, min(150, len(dots))) + rng.sample(idents, min(150, len(idents)))
    samples = []
    for offset in offsets:
        build_context(spec, text, offset, tree)  # warm
        start = time.perf_counter()
        build_context(spec, text, offset, tree)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), _pct(samples, 0.95), max(samples), len(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="*", default=list(DEFAULT_FILES))
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = [stdlib / name for name in args.files]

    scenarios = [
        (1, True, "editor auto-closes brackets, tree needed after every keystroke"),
        (1, False, "no auto-closing (an open `(` for a while), tree after every keystroke"),
        (4, False, "no auto-closing, tree needed after every 4th keystroke only"),
    ]
    for every, autoclose, title in scenarios:
        print(f"\nper keystroke, {title}: median / p95 ms")
        header = f"{'file':<16}{'lines':>6}  " + "  ".join(f"{n:>19}" for n in STRATEGIES)
        print(header)
        for path in paths:
            lines = path.read_text(encoding="utf-8").count("\n")
            row = bench_typing(path, every, autoclose, args.rounds)
            cells = "  ".join(f"{m:>9.3f} / {p:>7.3f}" for m, p in row.values())
            print(f"{path.name:<16}{lines:>6}  {cells}")

    print("\nbuild_context with a tree (after '.' and at identifier starts): ms")
    print(f"{'file':<16}{'lines':>6}{'median':>9}{'p95':>9}{'max':>9}{'n':>6}")
    for path in paths:
        lines = path.read_text(encoding="utf-8").count("\n")
        med, p95, worst, n = bench_context(path)
        print(f"{path.name:<16}{lines:>6}{med:>9.3f}{p95:>9.3f}{worst:>9.3f}{n:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
