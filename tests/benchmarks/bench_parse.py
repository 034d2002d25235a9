"""Keeping trees current while typing: incremental vs full reparse, eager vs lazy.

Simulates typing on real files nobody here wrote (the running interpreter's standard library,
100-3,000 lines): at several positions inside function bodies a statement is typed one character
at a time; each keystroke is a ``didChange`` (``DocumentTrees.update``) and, depending on the
scenario, a completion request that needs the tree (``DocumentTrees.get``) after every keystroke
or after every 4th one (fast typing, the client cancelling requests). Reported per keystroke:
median and p95 of the time spent in ``update`` + ``get``. A second table times ``build_context``
(the whole cursor context with a tree) at positions right after ``.`` and at identifier starts.

With ``--accuracy [DIR ...]`` it also scores the context fields in half-typed code (25 stdlib
files, plus C/C++/JS/TS sources under the given folders) against the tree of the complete code.

    python tests/benchmarks/bench_parse.py
    python tests/benchmarks/bench_parse.py --files argparse.py textwrap.py --rounds 3
    python tests/benchmarks/bench_parse.py --context-only --accuracy path/to/c-and-ts/sources
"""

from __future__ import annotations

import argparse
import random
import statistics
import sysconfig
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tree_sitter import Node, Tree

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


def bench_context(path: Path) -> dict[str, tuple[float, float, float, int]]:
    """``build_context`` timings in complete code, and in half-typed code (the rest of the line
    after the cursor not written yet, so the tree has errors there, as while typing)."""
    spec = spec_for("python")
    assert spec is not None
    text = path.read_text(encoding="utf-8")
    tree = parse_text(spec, text)
    rng = random.Random(path.name)
    dots = [i + 1 for i, ch in enumerate(text) if ch == "." and text[i - 1 : i].isalnum()]
    idents = [i + 1 for i in range(1, len(text)) if text[i].isalpha() and not text[i - 1].isalnum()]
    offsets = rng.sample(dots, min(150, len(dots))) + rng.sample(idents, min(150, len(idents)))
    complete = []
    for offset in offsets:
        build_context(spec, text, offset, tree)  # warm
        start = time.perf_counter()
        build_context(spec, text, offset, tree)
        complete.append((time.perf_counter() - start) * 1000)
    typing = []
    for offset in rng.sample(dots, min(60, len(dots))):
        eol = text.find("\n", offset)
        cut = text[:offset] + text[eol:]
        cut_tree = parse_text(spec, cut)
        build_context(spec, cut, offset, cut_tree)
        start = time.perf_counter()
        build_context(spec, cut, offset, cut_tree)
        typing.append((time.perf_counter() - start) * 1000)
    return {
        name: (statistics.median(xs), _pct(xs, 0.95), max(xs), len(xs))
        for name, xs in (("complete code", complete), ("half-typed line", typing))
    }


_EXT = {".py": "python", ".c": "c", ".cpp": "cpp", ".ts": "typescript", ".js": "javascript"}
_MEMBER = {
    "attribute": ("object", "attribute"),
    "member_expression": ("object", "property"),
    "field_expression": ("argument", "field"),
}


def _nodes(tree: Tree, types: set[str]) -> list[Node]:
    out, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in types:
            out.append(node)
        stack.extend(node.children)
    return out


def _squash(text: str) -> str:
    return "".join(text.split())


def accuracy(paths: list[Path], per_file: int) -> dict[str, Counter[str]]:
    """Context fields in half-typed code against the tree of the complete code (the oracle):

    - receiver: ``obj.name`` with ``name`` deleted, cursor after the operator;
    - scopes: cursor after a member operator with the rest of the line deleted, compared with
      the scopes at the same place in the complete file;
    - call: an argument deleted, cursor at its start: callee text and argument index.
    """
    results: dict[str, Counter[str]] = {}
    rng = random.Random(11)
    for path in paths:
        language = _EXT.get(path.suffix)
        spec = spec_for(language)
        if spec is None:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.isascii():
            continue  # node offsets below are used as str offsets
        tree = parse_text(spec, text)
        tally = results.setdefault(spec.name, Counter())
        members = _nodes(tree, set(_MEMBER))
        for node in rng.sample(members, min(per_file, len(members))):
            obj_field, name_field = _MEMBER[node.type]
            obj, name = node.child_by_field_name(obj_field), node.child_by_field_name(name_field)
            if obj is None or name is None or not name.type.endswith("identifier"):
                continue
            cut = text[: name.start_byte] + text[name.end_byte :]
            c = build_context(spec, cut, name.start_byte, parse_text(spec, cut))
            want = _squash(text[obj.start_byte : obj.end_byte])
            tally["receiver total"] += 1
            tally["receiver ok"] += _squash(c.receiver or "") == want
            ref = build_context(spec, text, name.end_byte, tree)
            eol = text.find("\n", name.start_byte)
            typed = text[: name.start_byte] + text[eol if eol >= 0 else len(text) :]
            c = build_context(spec, typed, name.start_byte, parse_text(spec, typed))
            tally["scopes total"] += 1
            same = [(s.kind, s.name) for s in c.scopes] == [(s.kind, s.name) for s in ref.scopes]
            tally["scopes ok"] += same
        calls = _nodes(tree, {"call", "call_expression"})
        for call in rng.sample(calls, min(per_file, len(calls))):
            fn, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
            if fn is None or args is None or not args.named_children:
                continue
            index = rng.randrange(len(args.named_children))
            arg = args.named_children[index]
            if arg.type in ("keyword_argument", "comment", "list_splat", "dictionary_splat"):
                continue
            cut = text[: arg.start_byte] + text[arg.end_byte :]
            c = build_context(spec, cut, arg.start_byte, parse_text(spec, cut))
            callee = _squash(text[fn.start_byte : fn.end_byte])
            tally["call total"] += 1
            tally["call ok"] += (_squash(c.callee or ""), c.argument_index) == (callee, index)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="*", default=list(DEFAULT_FILES))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--context-only", action="store_true", help="skip the typing tables")
    parser.add_argument(
        "--accuracy", nargs="*", metavar="DIR", help="also score context fields on these dirs"
    )
    args = parser.parse_args(argv)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = [stdlib / name for name in args.files]

    scenarios = [
        (1, True, "editor auto-closes brackets, tree needed after every keystroke"),
        (1, False, "no auto-closing (an open `(` for a while), tree after every keystroke"),
        (4, False, "no auto-closing, tree needed after every 4th keystroke only"),
    ]
    for every, autoclose, title in [] if args.context_only else scenarios:
        print(f"\nper keystroke, {title}: median / p95 ms")
        header = f"{'file':<16}{'lines':>6}  " + "  ".join(f"{n:>19}" for n in STRATEGIES)
        print(header)
        for path in paths:
            lines = path.read_text(encoding="utf-8").count("\n")
            row = bench_typing(path, every, autoclose, args.rounds)
            cells = "  ".join(f"{m:>9.3f} / {p:>7.3f}" for m, p in row.values())
            print(f"{path.name:<16}{lines:>6}  {cells}")

    print("\nbuild_context with a tree (after '.' and at identifier starts): ms")
    print(f"{'file':<16}{'lines':>6}  {'code':<16}{'median':>9}{'p95':>9}{'max':>9}{'n':>6}")
    for path in paths:
        lines = path.read_text(encoding="utf-8").count("\n")
        for name, (med, p95, worst, n) in bench_context(path).items():
            print(f"{path.name:<16}{lines:>6}  {name:<16}{med:>9.3f}{p95:>9.3f}{worst:>9.3f}{n:>6}")

    if args.accuracy is not None:
        sources = sorted(stdlib.glob("*.py"))
        random.Random(5).shuffle(sources)
        sources = sources[:25]
        for folder in args.accuracy:
            sources += sorted(p for p in Path(folder).rglob("*") if p.suffix in _EXT)
        print(f"\ncontext accuracy in half-typed code ({len(sources)} files; tree oracle)")
        print(f"{'language':<12}{'receiver':>16}{'scopes':>16}{'call':>16}")
        for language, tally in sorted(accuracy(sources, 30).items()):
            cells = []
            for key in ("receiver", "scopes", "call"):
                total = tally[f"{key} total"]
                share = tally[f"{key} ok"] / total if total else 0.0
                cells.append(f"{share:>8.3f} ({total:>4})")
            print(f"{language:<12}" + "".join(f"{c:>16}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
