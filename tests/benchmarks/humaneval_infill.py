"""HumanEval-Infilling (single-line) pass@1 through glm-lsp's own model path.

Each problem (JSONL: task_id, entry_point, prompt = code before the hole, suffix = code after,
canonical_solution, test) becomes a FIM request rendered by the model's template, is generated
greedily by ``LlamaBackend`` (the same code the server uses), cut to one line, and executed:
``prompt + middle + suffix + test + check(entry_point)`` in a sandboxed subprocess — isolated
interpreter (-I), fresh temp dir as cwd, empty environment, CPU/memory/file-size/open-file
limits, wall-clock timeout, and socket creation disabled.

The dataset cannot be downloaded here (no internet). Pass ``--data`` a HumanEval-Infilling
single-line JSONL file (from the ``openai/human-eval-infilling`` release). Without it, a tiny
self-written sample in the same format runs, to show the harness end to end. ``--oracle``
executes the canonical solutions instead of the model: it must score 100% (harness check).

    python tests/benchmarks/humaneval_infill.py --model codegeex4-all-9b-Q4_K_M.gguf \\
        --data SingleLineInfilling.jsonl --gpu-layers auto
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from glm_lsp.model.backend import GenerationRequest  # noqa: E402
from glm_lsp.model.llama import LlamaBackend, default_tiny_model_path  # noqa: E402
from glm_lsp.model.templates import FimRequest, get_template  # noqa: E402

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
    parser.add_argument("--data", type=Path, default=SAMPLE)
    parser.add_argument("--model", type=Path, default=default_tiny_model_path())
    parser.add_argument("--template", default=None, help="default: chosen from the GGUF")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per test program")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--gpu-layers", default="auto")
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--oracle", action="store_true", help="run canonical solutions")
    parser.add_argument("--out", type=Path, default=None, help="per-task results (JSONL)")
    args = parser.parse_args(argv)

    problems = load_problems(args.data, args.limit)
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
    results = []
    passed = 0
    gen_time = 0.0
    for problem in problems:
        if backend is None:
            middle = problem.canonical_solution
        else:
            template = backend.template or get_template("codegeex4")
            fim = FimRequest(
                prefix=problem.prompt,
                suffix=problem.suffix,
                path="solution.py",
                language="Python",
                mode="LINE",
            )
            gen = backend.generate(
                GenerationRequest(
                    prompt=template.render(fim),
                    segments=tuple(template.segments(fim)),
                    max_tokens=args.max_tokens,
                    stop_ids=backend.default_stop_ids(),
                )
            )
            gen_time += gen.elapsed_s
            middle = first_line(gen.text)
        ok, error = run_sandboxed(program_for(problem, middle), args.timeout)
        passed += ok
        results.append({"task_id": problem.task_id, "passed": ok, "middle": middle, "error": error})
    total = len(problems)
    source = "canonical solutions (oracle)" if backend is None else args.model.name
    print("| data | completions | problems | passed | pass@1 | generation s |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.data.name} | {source} | {total} | {passed} | "
        f"{100 * passed / max(total, 1):.1f}% | {gen_time:.2f} |"
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
