"""Ranking quality on real code none of us wrote, glm-lsp next to jedi on the same positions.

For each sampled position where a name is *used* (not defined) we delete the identifier in place
and ask both engines for completions there:

- **after-dot**: ``obj.attr`` → ``obj.|`` (nothing typed after the dot),
- **ident-start**: ``name`` → ``n|`` (one character typed).

The true name's rank gives top-1, top-5 and MRR per category. Files are split by a hash of their
name into a *tune* set (used while choosing features and weights) and a held-out *test* set
(report this one). The workspace index holds the other chosen files; the file under test is
removed from it and completed as an open document with the name deleted, so nothing leaks.

With ``--model PATH`` (a GGUF) the same positions (same sampling) are also completed the way the
server does when its model is ready: the model runs at the cursor through ``GhostService``'s own
prompt path (``bench_line_completion.ServerPath``: the server's mode choice with the default
``inline.mode = auto``, its prompt, greedy generation, post-processing), its text becomes a
dropdown item (``suggestions.candidate_from_text``) merged into the static list
(``CompletionEngine.complete(model_candidates=...)``), and the list is ranked three ways:

- **static**: no model at all (the rows above);
- **model off**: model item merged, ``WEIGHTS["model"] = 0`` (its score feature ignored);
- **model on**: model item merged, the shipped weight.

Where the server would not ask the model (code after the cursor on the line, a comment, a
string) there is no model item, as in the server. The dropdown's 20 ms wait for model items
(``features.completion.MODEL_ITEMS_BUDGET_S``) is not modelled: every model item counts as
arrived (the editor asks again as the user types, and the model's result cache answers then).
The working directory is ``--dir`` so the prompt's ``###PATH`` is the module's name, as in training.

    python tests/benchmarks/bench_ranking.py --files 30 --n 600 --set test
    python tests/benchmarks/bench_ranking.py --files 8 --n 100 --no-jedi   # quick
    python tests/benchmarks/bench_ranking.py --no-jedi \\
        --model glm_lsp/data/models/glm-code-tiny-q8_0.gguf
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tree_sitter import Node

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.completion import ranking
from glm_lsp.completion.candidates import Candidate
from glm_lsp.completion.engine import CompletionEngine
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import ParsedDocument, parse_text

_DEFINING_PARENTS = {
    "function_definition": "name",
    "class_definition": "name",
    "keyword_argument": "name",
    "aliased_import": "alias",
    "default_parameter": "name",
    "typed_parameter": None,
    "typed_default_parameter": "name",
    "parameters": None,
    "lambda_parameters": None,
    "global_statement": None,
    "nonlocal_statement": None,
    "dotted_name": None,
}


@dataclass
class Sample:
    path: Path
    category: str  # "after-dot" | "ident-start"
    name: str
    text: str  # with the identifier (or all but its first character) deleted
    offset: int
    line: int
    column: int


@dataclass
class Score:
    ranks: list[int | None] = field(default_factory=list)
    times_ms: list[float] = field(default_factory=list)

    def add(self, rank: int | None, ms: float) -> None:
        self.ranks.append(rank)
        self.times_ms.append(ms)

    def top(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / max(1, len(self.ranks))

    def mrr(self) -> float:
        return sum(1.0 / r for r in self.ranks if r is not None) / max(1, len(self.ranks))


def choose_files(root: Path, count: int, which: str, seed: int) -> list[Path]:
    """Top-level modules of 100-3,000 lines, split tune/test by a hash of the file name."""
    files = []
    for path in sorted(root.glob("*.py")):
        try:
            lines = path.read_text(encoding="utf-8").count("\n")
        except (OSError, UnicodeDecodeError):
            continue
        if 100 <= lines <= 3000 and not path.name.startswith(("test", "_")):
            half = "tune" if hashlib.sha1(path.name.encode()).digest()[0] % 2 == 0 else "test"
            if which in ("all", half):
                files.append(path)
    random.Random(seed).shuffle(files)
    return sorted(files[:count])


def _is_definition(node: Node) -> bool:
    parent = node.parent
    if parent is None:
        return True
    if parent.type in _DEFINING_PARENTS:
        wanted = _DEFINING_PARENTS[parent.type]
        return wanted is None or parent.child_by_field_name(wanted) == node
    if parent.type in ("import_statement", "import_from_statement"):
        return True
    if parent.type in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
        return parent.child_by_field_name("left") == node
    return parent.type in ("pattern_list", "tuple_pattern", "as_pattern_target", "list_pattern")


def _is_target(attribute: Node) -> bool:
    """``obj.x = ...`` defines ``x``: not a use."""
    grand = attribute.parent
    return (
        grand is not None
        and grand.type in ("assignment", "augmented_assignment")
        and grand.child_by_field_name("left") == attribute
    )


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def samples_for(path: Path, per_category: int, rng: random.Random) -> list[Sample]:
    text = path.read_text(encoding="utf-8")
    spec = spec_for("python")
    assert spec is not None
    data = text.encode("utf-8")
    tree = parse_text(spec, text)
    dots: list[tuple[int, int]] = []
    idents: list[tuple[int, int]] = []
    for node in _walk(tree.root_node):
        if node.type != "identifier":
            continue
        parent = node.parent
        if parent is not None and parent.type == "attribute":
            if parent.child_by_field_name("attribute") == node and not _is_target(parent):
                dots.append((node.start_byte, node.end_byte))
            if parent.child_by_field_name("attribute") == node:
                continue
        if not _is_definition(node):
            idents.append((node.start_byte, node.end_byte))
    out: list[Sample] = []
    for category, spans, keep in (("after-dot", dots, 0), ("ident-start", idents, 1)):
        for start_b, end_b in rng.sample(spans, min(per_category, len(spans))):
            start = len(data[:start_b].decode("utf-8"))
            end = len(data[:end_b].decode("utf-8"))
            name = text[start:end]
            new = text[: start + keep] + text[end:]
            offset = start + keep
            line = new.count("\n", 0, offset)
            column = offset - (new.rfind("\n", 0, offset) + 1)
            out.append(Sample(path, category, name, new, offset, line, column))
    return out


def rank_of(names: list[str], truth: str) -> int | None:
    for i, name in enumerate(names, 1):
        if name == truth:
            return i
    return None


def run_ours(engine: CompletionEngine, sample: Sample, i: int) -> tuple[int | None, float]:
    spec = spec_for("python")
    assert spec is not None
    tree = parse_text(spec, sample.text)
    doc = ParsedDocument(
        f"file://{sample.path}#{i}", str(sample.path), "python", spec, sample.text, 1, tree
    )
    engine.complete(doc, sample.offset, max_items=100)  # first request: extracts the symbols
    start = time.perf_counter()  # timed: a request on a document whose symbols are cached
    result = engine.complete(doc, sample.offset, max_items=100)
    ms = (time.perf_counter() - start) * 1000.0
    return rank_of([item.candidate.name for item in result.items], sample.name), ms


@dataclass
class ModelRun:
    """The three model rows (see the module doc) and what the model did."""

    static: dict[str, Score] = field(default_factory=dict)
    off: dict[str, Score] = field(default_factory=dict)
    on: dict[str, Score] = field(default_factory=dict)
    asked: int = 0  # positions where the server would ask the model
    items: int = 0  # positions where the model's text became a dropdown item
    item_right: int = 0  # ...whose name is the true one
    gen_ms: list[float] = field(default_factory=list)


def model_candidates(
    server_path: Any, doc: ParsedDocument, offset: int
) -> tuple[list[Candidate], bool, float]:
    """What ``GhostService.candidates`` gives the dropdown here: ([item] or [], asked, gen ms)."""
    from glm_lsp.ghost.mode import choose_mode
    from glm_lsp.ghost.suggestions import candidate_from_text
    from glm_lsp.syntax.context import build_context

    ctx = build_context(doc.spec, doc.text, offset, doc.tree)
    if ctx.in_string or ctx.in_comment:  # the server does not ask the model there
        return [], False, 0.0
    mode = choose_mode(ctx, server_path.settings.inline.mode)
    if mode is None:
        return [], False, 0.0
    sugg = server_path.suggest(doc, offset, ctx, mode)
    item = candidate_from_text(ctx, sugg.text)
    return ([item] if item is not None else []), True, sugg.generation.elapsed_s * 1000.0


def run_model(
    engine: CompletionEngine,
    server_path: Any,
    sample: Sample,
    i: int,
    static_rank: int | None,
    run: ModelRun,
) -> None:
    spec = spec_for("python")
    assert spec is not None
    tree = parse_text(spec, sample.text)
    doc = ParsedDocument(
        f"file://{sample.path}#{i}", str(sample.path), "python", spec, sample.text, 1, tree
    )
    items, asked, ms = model_candidates(server_path, doc, sample.offset)
    run.asked += asked
    if asked:
        run.gen_ms.append(ms)
    run.items += bool(items)
    run.item_right += any(c.name == sample.name for c in items)
    shipped = (ranking.WEIGHTS["model"], ranking.MEMBER_WEIGHTS["model"])
    ranks: dict[str, int | None] = {"static": static_rank}
    for label, weight in (("on", None), ("off", 0.0)):
        try:
            if weight is not None:
                ranking.WEIGHTS["model"] = ranking.MEMBER_WEIGHTS["model"] = weight
            fresh = [_copy(c) for c in items]  # dedupe mutates merged candidates
            result = engine.complete(doc, sample.offset, max_items=100, model_candidates=fresh)
            ranks[label] = rank_of([it.candidate.name for it in result.items], sample.name)
        finally:
            ranking.WEIGHTS["model"], ranking.MEMBER_WEIGHTS["model"] = shipped
    cats = (sample.category, "overall", *(("model asked",) if asked else ()))
    for label, table in (("static", run.static), ("off", run.off), ("on", run.on)):
        for cat in cats:
            table.setdefault(cat, Score()).add(ranks[label], 0.0)


def _copy(cand: Candidate) -> Candidate:
    from dataclasses import replace

    return replace(cand)


def run_jedi(sample: Sample) -> tuple[int | None, float]:
    import jedi

    start = time.perf_counter()
    try:
        script = jedi.Script(sample.text, path=str(sample.path))
        names = [c.name for c in script.complete(sample.line + 1, sample.column)]
    except Exception:  # jedi has its own bugs; a failure is a miss
        names = []
    return rank_of(names, sample.name), (time.perf_counter() - start) * 1000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--files", type=int, default=30, help="number of files")
    parser.add_argument("--n", type=int, default=600, help="total positions (both categories)")
    parser.add_argument("--set", choices=("tune", "test", "all"), default="test")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-jedi", action="store_true")
    parser.add_argument("--misses", type=int, default=0, help="print this many of our misses")
    parser.add_argument("--model", type=Path, default=None, help="GGUF: add the model rows")
    parser.add_argument("--threads", type=int, default=None, help="model threads")
    args = parser.parse_args(argv)

    files = choose_files(args.dir, args.files, args.set, args.seed)
    rng = random.Random(args.seed)
    per = max(1, args.n // (2 * max(1, len(files))))
    index = WorkspaceIndex()
    t0 = time.perf_counter()
    for path in files:
        index.update_file(str(path), path.read_text(encoding="utf-8"), "python")
    took = time.perf_counter() - t0
    print(f"{len(files)} files from {args.dir} ({args.set} set), index {took:.1f} s")
    engine = CompletionEngine(index, background=False)
    server_path: Any = None
    model_run = ModelRun()
    cwd = os.getcwd()
    if args.model is not None:
        from bench_line_completion import ServerPath

        model = args.model.resolve()
        os.chdir(args.dir)  # the server runs in its workspace root: ###PATH is the file's name
        server_path = ServerPath(model, threads=args.threads, mode="auto", index=index)
    ours: dict[str, Score] = {}
    theirs: dict[str, Score] = {}
    misses: list[str] = []
    count = 0
    for path in files:
        original = path.read_text(encoding="utf-8")
        index.remove_file(str(path))  # the file under test is the open, edited document
        for sample in samples_for(path, per, rng):
            count += 1
            rank, ms = run_ours(engine, sample, count)
            if server_path is not None:
                run_model(engine, server_path, sample, count, rank, model_run)
            for cat in (sample.category, "overall"):
                ours.setdefault(cat, Score()).add(rank, ms)
            if rank != 1 and len(misses) < args.misses:
                line = sample.text.splitlines()[sample.line] if sample.text else ""
                misses.append(
                    f"{path.name}:{sample.line + 1} {sample.name!r} rank={rank}: {line.strip()}"
                )
            if not args.no_jedi:
                jrank, jms = run_jedi(sample)
                for cat in (sample.category, "overall"):
                    theirs.setdefault(cat, Score()).add(jrank, jms)
        index.update_file(str(path), original, "python")
    engine.close()
    os.chdir(cwd)
    _report(ours, theirs)
    for miss in misses:
        print("miss:", miss)
    if server_path is not None:
        info = server_path.backend.info()
        server_path.close()
        _report_model(model_run, args.model.name, info)
    return 0


def _report_model(run: ModelRun, model: str, info: dict[str, Any]) -> None:
    n = len(run.static.get("overall", Score()).ranks)
    ms = statistics.mean(run.gen_ms) if run.gen_ms else 0.0
    print(
        f"\nWith the model {model} (template {info.get('template')}, context "
        f"{info.get('context_size')}): asked at {run.asked} of {n} positions (elsewhere the "
        f"server does not ask), a dropdown item at {run.items}, its name right at "
        f"{run.item_right}; mean generation {ms:.0f} ms\n"
    )
    print("(model asked: the positions where the server asks the model, all categories)\n")
    print("| category | dropdown | n | top-1 | top-5 | MRR |")
    print("|---|---|---|---|---|---|")
    rows = (
        ("static only (no model)", run.static),
        ("model item, model weight 0 (off)", run.off),
        (f"model item, model weight {ranking.WEIGHTS['model']} (on)", run.on),
    )
    for cat in ("after-dot", "ident-start", "overall", "model asked"):
        for label, table in rows:
            s = table.get(cat)
            if s is not None:
                print(
                    f"| {cat} | {label} | {len(s.ranks)} | {s.top(1):.3f} | {s.top(5):.3f} | "
                    f"{s.mrr():.3f} |"
                )


def _report(ours: dict[str, Score], theirs: dict[str, Score]) -> None:
    head = f"{'category':<12} {'n':>5} | {'top-1':>6} {'top-5':>6} {'MRR':>6} {'p50 ms':>7}"
    print(head + (" | jedi top-1  top-5    MRR  p50 ms" if theirs else ""))
    for cat in ("after-dot", "ident-start", "overall"):
        s = ours.get(cat)
        if s is None:
            continue
        row = (
            f"{cat:<12} {len(s.ranks):>5} | {s.top(1):6.3f} {s.top(5):6.3f} {s.mrr():6.3f} "
            f"{statistics.median(s.times_ms):7.2f}"
        )
        j = theirs.get(cat)
        if j is not None:
            row += (
                f" |      {j.top(1):6.3f} {j.top(5):6.3f} {j.mrr():6.3f} "
                f"{statistics.median(j.times_ms):7.1f}"
            )
        print(row)


if __name__ == "__main__":
    sys.exit(main())
