"""Held-out line completion: does the model use its context? Exact match and edit similarity.

What it measures. Cursor positions in *held-out* files (the top-level stdlib modules of
``bench_ranking.py``'s *test* half, which ``models/tiny/corpus.py`` keeps out of training): a
random non-blank line, the cursor at a random column from the line's first non-space character
on, leaving at least 3 non-space characters to predict. The target is the rest of the line
(trailing whitespace stripped), and it is *deleted* from the document (the user is typing this
line now): the text after the cursor starts at the newline that ended the line.

Each position goes through the server's own model path, in-process: ``GhostService`` built from
``Settings`` (``model.path`` = ``--model``, ``inline.mode = "line"``) loads the model with
``loading.make_backend``; ``GhostService._prepare`` builds the prompt (``prompt.build_window``,
stable layout, budget = the GGUF's trained context - ``inline.maxTokens`` - 64, the template
chosen from the GGUF, the LINE-mode newline stop); ``LlamaBackend.generate`` runs it greedily;
``completion/postprocess.clean`` post-processes it as the server does. Rows, same positions:

- **model, with suffix**: the document as the user has it;
- **model, no suffix**: the document cut at the cursor (the model sees no text after it);
- **baseline**: predict the most frequent target string everywhere, that string counted at
  positions sampled the same way from *training* files (the ranking benchmark's *tune* half);
- **sanity**: the random-weights test model ``models/tiny/glm-tiny-q8_0.gguf`` (or
  ``--sanity-model``; ``--no-sanity`` skips it), with suffix, on the first ``--sanity-n``
  positions: what a model that ignores the code scores through the same pipeline.

Deviations, said here so nobody reads more into the numbers: positions inside comments and
string literals are skipped (the server never asks the model there: ``mode.choose_mode``), and
their count is printed; each prompt carries no cross-file references (a fresh ``References``
per position, as for a user who opened only this file); the working directory is the stdlib
directory, so the prompt's ``###PATH`` is the module's file name, as in training.

    python tests/benchmarks/bench_line_completion.py \\
        --model glm_lsp/data/models/glm-code-tiny-q8_0.gguf
    python tests/benchmarks/bench_line_completion.py --n 20 --no-sanity   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import sysconfig
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from bench_ranking import choose_files  # noqa: E402

from glm_lsp.config import Settings  # noqa: E402
from glm_lsp.ghost.mode import Mode, choose_mode  # noqa: E402
from glm_lsp.ghost.postprocess import clean  # noqa: E402
from glm_lsp.ghost.request import prompt_budget  # noqa: E402
from glm_lsp.model.backend import Generation  # noqa: E402
from glm_lsp.syntax.context import CursorContext, build_context  # noqa: E402
from glm_lsp.syntax.languages import spec_for  # noqa: E402
from glm_lsp.syntax.parse import ParsedDocument, parse_text  # noqa: E402

DEFAULT_MODEL = ROOT / "glm_lsp" / "data" / "models" / "glm-code-tiny-q8_0.gguf"
MANIFEST = ROOT / "models" / "tiny" / "corpus-manifest.tsv"
SANITY_MODEL = ROOT / "models" / "tiny" / "glm-tiny-q8_0.gguf"
MIN_TARGET_CHARS = 3  # non-space characters left to predict


# -- positions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """One cursor: ``text`` is the document with ``target`` deleted, cursor at ``offset``."""

    path: Path
    line: int  # 0-based
    column: int
    offset: int
    text: str
    target: str

    @property
    def prefix_only(self) -> str:
        """The document cut at the cursor (the "no suffix" condition)."""
        return self.text[: self.offset]


def cursor_columns(line: str, min_chars: int = MIN_TARGET_CHARS) -> range:
    """Columns where a cursor may sit on ``line``: from its first non-space character on, while
    the rest of the line holds at least ``min_chars`` non-space characters."""
    body = line.rstrip()
    first = len(body) - len(body.lstrip())
    last = first - 1
    remaining = 0
    for col in range(len(body) - 1, first - 1, -1):
        if not body[col].isspace():
            remaining += 1
        if remaining >= min_chars:
            last = col
            break
    return range(first, last + 1)


def make_position(path: Path, text: str, line_start: int, column: int) -> Position:
    """Delete the rest of the line starting at ``line_start`` from ``column`` on."""
    end = text.find("\n", line_start)
    if end < 0:
        end = len(text)
    offset = line_start + column
    target = text[offset:end].rstrip()
    line = text.count("\n", 0, line_start)
    return Position(path, line, column, offset, text[:offset] + text[end:], target)


def server_would_ask(text: str, offset: int) -> bool:
    """Whether the server would ask the model here in LINE mode (not in a comment or string)."""
    spec = spec_for("python")
    ctx = build_context(spec, text, offset, parse_text(spec, text) if spec else None)
    return choose_mode(ctx, "line") is not None


def sample_positions(
    files: Sequence[Path],
    n: int,
    seed: int,
    eligible: Callable[[str, int], bool] | None = server_would_ask,
) -> tuple[list[Position], int]:
    """``n`` positions drawn uniformly over the files' candidate lines (deterministic for a
    seed); returns them and how many drawn positions ``eligible`` rejected."""
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in files]
    lines: list[tuple[int, int, int]] = []  # (file, line start offset, line length)
    for i, text in enumerate(texts):
        start = 0
        for line in text.split("\n"):
            if cursor_columns(line):
                lines.append((i, start, len(line)))
            start += len(line) + 1
    rng.shuffle(lines)
    out: list[Position] = []
    rejected = 0
    for i, start, length in lines:
        if len(out) >= n:
            break
        text = texts[i]
        column = rng.choice(cursor_columns(text[start : start + length]))
        pos = make_position(files[i], text, start, column)
        if eligible is not None and not eligible(pos.text, pos.offset):
            rejected += 1
            continue
        out.append(pos)
    return out, rejected


def manifest_check(heldout: Sequence[Path], training: Sequence[Path], manifest: Path) -> str:
    """One sentence: do the training corpus manifest's splits agree with ours (held-out files
    marked ``heldout``, the baseline's files marked ``train``)?"""
    if not manifest.is_file():
        return f"no corpus manifest at {manifest}: split not cross-checked"
    split: dict[str, str] = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 6 and parts[0] == "cpython-stdlib":
            split[parts[3]] = parts[5]
    wrong = [p.name for p in heldout if split.get(p.name) != "heldout"]
    wrong += [p.name for p in training if split.get(p.name) != "train"]
    if wrong:
        return f"WARNING: corpus manifest disagrees on {len(wrong)} files: {', '.join(wrong[:5])}"
    return f"corpus manifest agrees: the {len(heldout)} held-out modules were not trained on"


# -- metrics -----------------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute: 1 each)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def edit_similarity(prediction: str, target: str) -> float:
    """``1 - levenshtein / max(len)``; 1.0 for two empty strings."""
    longest = max(len(prediction), len(target))
    return 1.0 if longest == 0 else 1.0 - levenshtein(prediction, target) / longest


def most_frequent_target(targets: Sequence[str]) -> str:
    """The trivial baseline's one prediction (ties: the lexically smallest, for determinism)."""
    if not targets:
        return ""
    counts = Counter(targets)
    best = max(counts.values())
    return min(t for t, c in counts.items() if c == best)


@dataclass
class Row:
    """One condition's predictions over the positions."""

    label: str
    exact: list[bool] = field(default_factory=list)
    similarity: list[float] = field(default_factory=list)
    gen_ms: list[float] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)
    empty: int = 0

    def add(self, prediction: str, target: str, gen: Generation | None = None) -> None:
        prediction = prediction.rstrip()
        self.exact.append(prediction == target)
        self.similarity.append(edit_similarity(prediction, target))
        self.empty += not prediction
        if gen is not None:
            self.gen_ms.append(gen.elapsed_s * 1000.0)
            self.prompt_tokens.append(gen.prompt_tokens)

    def cells(self) -> list[str]:
        n = len(self.exact)
        ms = f"{statistics.mean(self.gen_ms):.0f}" if self.gen_ms else "-"
        tokens = f"{statistics.mean(self.prompt_tokens):.0f}" if self.prompt_tokens else "-"
        return [
            self.label,
            str(n),
            f"{100 * sum(self.exact) / max(1, n):.1f}%",
            f"{statistics.mean(self.similarity) if n else 0.0:.3f}",
            f"{self.empty}",
            ms,
            tokens,
        ]


HEADER = ["condition", "positions", "exact match", "edit sim.", "empty", "gen ms", "prompt tok"]


def markdown(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


# -- the server's model path, in-process -------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    text: str  # post-processed, "" when the server would show nothing
    raw: str
    generation: Generation
    wall_ms: float  # prompt build + generation + post-processing


class ServerPath:
    """``GhostService`` as the server builds it, driven synchronously for one cursor at a time.

    Uses two private members of ``GhostService`` (``_prepare``, ``_backend``) so that the prompt,
    request and post-processing inputs are exactly the server's; generation is called on this
    thread (the service's worker thread is idle meanwhile), which gives the ``Generation``'s
    token counts and timings that ``GhostService.inline`` does not return.
    """

    def __init__(
        self,
        model: Path,
        *,
        threads: int | None = None,
        mode: str = "line",
        index: Any = None,
        load_timeout_s: float = 600.0,
    ) -> None:
        from glm_lsp.ghost.service import GhostService

        base = Settings()
        self.settings = replace(
            base,
            model=replace(base.model, path=str(model), threads=threads or 0),
            inline=replace(base.inline, mode=mode),
        )
        self.index = index
        self.service = GhostService(self.settings, index=index)
        self.service.start()
        if not asyncio.run(self.service.wait_loaded(load_timeout_s)):
            error = self.service.error or self.service.state
            self.service.close()
            raise SystemExit(f"cannot load {model}: {error}")
        self.backend: Any = self.service.primary.backend

    def info(self) -> dict[str, Any]:
        """The backend's ``info()`` plus the prompt budget the service computes from it."""
        slot = self.service.primary
        budget = prompt_budget(slot.settings, slot.backend).total
        return {**self.backend.info(), "prompt_budget": budget}

    def document(self, text: str, path: Path, uri_tag: str = "") -> ParsedDocument:
        spec = spec_for("python")
        tree = parse_text(spec, text) if spec is not None else None
        uri = path.as_uri() + (f"#{uri_tag}" if uri_tag else "")
        return ParsedDocument(uri, str(path), "python", spec, text, 1, tree)

    def suggest(
        self, doc: ParsedDocument, offset: int, ctx: CursorContext, mode: Mode = Mode.LINE
    ) -> Suggestion:
        """The server's ghost text for this cursor (mode already chosen by the caller)."""
        from glm_lsp.ghost.references import References

        started = time.perf_counter()
        self.service.references = References(self.index)  # no references from other positions
        prep = self.service._prepare_for(self.service.primary, doc, offset, ctx, mode)
        gen: Generation = self.backend.generate(prep.request)
        raw = gen.text
        if gen.finish_reason == "length" and mode is Mode.BLOCK and "\n" in raw.rstrip():
            raw = raw[: raw.rstrip().rfind("\n")]  # as GhostService._suggest
        text = clean(raw, prep.post) or ""
        return Suggestion(text, gen.text, gen, (time.perf_counter() - started) * 1000.0)

    def at(self, text: str, offset: int, path: Path, mode: Mode = Mode.LINE) -> Suggestion:
        doc = self.document(text, path)
        ctx = build_context(doc.spec, text, offset, doc.tree)
        return self.suggest(doc, offset, ctx, mode)

    def close(self) -> None:
        self.service.close()


def model_label(path: Path) -> str:
    size = path.stat().st_size / 1e6 if path.exists() else 0.0
    return f"{path.name} ({size:.1f} MB)"


# -- main --------------------------------------------------------------------------------------


def run_models(
    positions: Sequence[Position],
    common: str,
    model: Path,
    sanity: Path | None,
    args: argparse.Namespace,
) -> tuple[list[Row], dict[str, Any], list[str]]:
    """The table's rows (model with and without suffix, baseline, sanity), the model's info and
    ``--show`` examples."""
    path = ServerPath(model, threads=args.threads)
    info = path.info()
    rows = [Row("model, with suffix"), Row("model, no suffix")]
    examples: list[str] = []
    for pos in positions:
        full = path.at(pos.text, pos.offset, pos.path)
        cut = path.at(pos.prefix_only, pos.offset, pos.path)
        rows[0].add(full.text, pos.target, full.generation)
        rows[1].add(cut.text, pos.target, cut.generation)
        if len(examples) < args.show:
            line = pos.text[pos.text.rfind("\n", 0, pos.offset) + 1 : pos.offset]
            examples.append(
                f"{pos.path.name}:{pos.line + 1} {line.strip()!r} target={pos.target!r} "
                f"with={full.text!r} without={cut.text!r}"
            )
    path.close()
    baseline = Row("baseline: most frequent ending")
    for pos in positions:
        baseline.add(common, pos.target)
    rows.append(baseline)
    if sanity is not None:
        check = ServerPath(sanity, threads=args.threads)
        row = Row(f"sanity: {sanity.name} (random weights), with suffix")
        for pos in positions[: args.sanity_n]:
            sugg = check.at(pos.text, pos.offset, pos.path)
            row.add(sugg.text, pos.target, sugg.generation)
        check.close()
        rows.append(row)
    return rows, info, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--dir", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--n", type=int, default=200, help="held-out positions")
    parser.add_argument("--baseline-n", type=int, default=1000, help="training positions")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="default: the server's")
    parser.add_argument("--sanity-model", type=Path, default=SANITY_MODEL)
    parser.add_argument("--no-sanity", action="store_true", help="skip the sanity row")
    parser.add_argument("--sanity-n", type=int, default=50, help="positions for the sanity row")
    parser.add_argument("--show", type=int, default=0, help="print this many examples")
    args = parser.parse_args(argv)
    model = args.model.resolve()
    sanity = None if args.no_sanity else args.sanity_model.resolve()
    stdlib = args.dir.resolve()

    t0 = time.perf_counter()
    heldout = choose_files(stdlib, 10**6, "test", args.seed)
    training = choose_files(stdlib, 10**6, "tune", args.seed)
    positions, skipped = sample_positions(heldout, args.n, args.seed)
    train_positions, _ = sample_positions(training, args.baseline_n, args.seed + 1)
    common = most_frequent_target([p.target for p in train_positions])
    split_note = manifest_check(heldout, training, MANIFEST)
    sampled_s = time.perf_counter() - t0

    cwd = os.getcwd()
    os.chdir(stdlib)  # the server runs in its workspace root: ###PATH is the file's name
    try:
        rows, info, examples = run_models(positions, common, model, sanity, args)
    finally:
        os.chdir(cwd)
    print(
        f"Held-out line completion: {model_label(model)}, template {info.get('template')}, "
        f"context {info.get('context_size')}, prompt budget {info.get('prompt_budget')} tokens, "
        f"{info.get('n_threads')} thread(s)"
    )
    print(
        f"{len(positions)} positions in {len(heldout)} held-out stdlib modules ({stdlib}, "
        f"seed {args.seed}); {skipped} drawn positions skipped (comment/string: the server "
        f"does not ask the model there); sampling {sampled_s:.1f} s"
    )
    print(
        f"baseline string {common!r}: most frequent of {len(train_positions)} targets in "
        f"{len(training)} training modules; {split_note}\n"
    )
    print(markdown([r.cells() for r in rows], HEADER))
    print(
        "\nexact match: post-processed ghost text == rest of the line (trailing space "
        "stripped); edit sim.: mean 1 - Levenshtein / max(len); empty: no ghost text shown; "
        "gen ms: mean LlamaBackend.generate time (prefill + decode, cold KV)."
    )
    for line in examples:
        print("example:", line)
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    sys.stderr.write(f"done in {time.perf_counter() - start:.1f}s\n")
    raise SystemExit(code)
