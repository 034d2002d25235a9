"""Does a running generation slow the dropdown? Static completion p95 idle vs under load.

``CompletionEngine.complete`` (the whole static path: cursor context, candidates, ranking) is
timed at sampled positions of a standard-library module, in alternating rounds: **idle**, and
**busy** while a ``GhostService`` on its own thread generates ghost text back to back with the
real llama.cpp backend (each request a new prompt, so nothing comes from the cache). Alternating
the rounds spreads machine noise (other processes) over both columns.

Target: p95 busy <= 1.5 x p95 idle.

    python tests/benchmarks/bench_dropdown_load.py [--model X.gguf] [--file argparse.py]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import re
import statistics
import sysconfig
import threading
import time
from pathlib import Path

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.completion.engine import CompletionEngine
from glm_lsp.config import Settings
from glm_lsp.ghost.service import GhostService
from glm_lsp.model.llama import default_tiny_model_path
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.parse import DocumentTrees


class Load:
    """Generates continuously on a background thread until stopped."""

    def __init__(self, settings: Settings, text: str) -> None:
        self.settings = settings
        self.text = text
        self.active = threading.Event()
        self.stop = threading.Event()
        self.generated = 0
        self.busy_s = 0.0
        self.ready = threading.Event()
        self.error: str | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()

    async def _run(self) -> None:
        service = GhostService(self.settings)
        service.start()
        if not await service.wait_loaded(120):
            self.error = service.error
            self.ready.set()
            return
        self.ready.set()
        trees = DocumentTrees()
        n = 0
        while not self.stop.is_set():
            if not self.active.is_set():
                await asyncio.sleep(0.01)
                continue
            n += 1
            text = self.text + f"\n\ndef load_{n}(x):\n    "
            at = len(text)
            doc = trees.update("file:///load.py", text, n, "python", "/load.py")
            ctx = build_context(doc.spec, text, at, doc.tree)
            before = service.counts["generated_tokens"]
            t0 = time.perf_counter()
            await service.inline(doc, at, ctx)
            self.busy_s += time.perf_counter() - t0
            self.generated += service.counts["generated_tokens"] - before
        service.close()

    def close(self) -> None:
        self.stop.set()
        self._thread.join(10)


def _positions(text: str, count: int, rng: random.Random) -> list[int]:
    """After ``obj.`` and at identifier starts in code lines."""
    found = [m.end() for m in re.finditer(r"\b[a-z_]\w*\.", text)]
    found += [m.start() + 1 for m in re.finditer(r"\n\s+[a-z_]", text)]
    return rng.sample(found, min(count, len(found)))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", default=str(default_tiny_model_path()))
    parser.add_argument("--file", default="argparse.py")
    parser.add_argument("--samples", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args(argv)
    text = (Path(sysconfig.get_paths()["stdlib"]) / args.file).read_text(encoding="utf-8")
    s = Settings()
    s = dataclasses.replace(
        s,
        model=dataclasses.replace(s.model, path=args.model),
        inline=dataclasses.replace(s.inline, max_tokens=args.max_tokens, mode="block"),
    )
    index = WorkspaceIndex()
    trees = DocumentTrees()
    doc = trees.update("file:///m.py", text, 1, "python", "/m.py")
    index.update_file("/m.py", text, "python", doc.tree)
    engine = CompletionEngine(index, background=False)
    positions = _positions(text, args.samples, random.Random(7))
    for offset in positions[:20]:
        engine.complete(doc, offset)  # warm caches
    load = Load(s, text)
    load.ready.wait(120)
    if load.error:
        raise SystemExit(f"model did not load: {load.error}")
    times: dict[str, list[float]] = {"idle": [], "busy": []}
    for _ in range(args.rounds):
        for name in ("idle", "busy"):
            if name == "busy":
                load.active.set()
                time.sleep(0.2)  # let a generation get going
            for offset in positions:
                t0 = time.perf_counter()
                engine.complete(doc, offset)
                times[name].append((time.perf_counter() - t0) * 1000.0)
            load.active.clear()
            time.sleep(0.2)
    load.close()
    rate = load.generated / load.busy_s if load.busy_s else 0.0
    print(
        f"model {Path(args.model).name}, file {args.file}, {len(positions)} positions x "
        f"{args.rounds} rounds; background generation {load.generated} tokens ({rate:.0f} tok/s)"
    )
    print(f"{'state':<6} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, values in times.items():
        print(
            f"{name:<6} {len(values):>5} {_pct(values, 0.5):>8.2f} {_pct(values, 0.95):>8.2f} "
            f"{statistics.mean(values):>8.2f}"
        )
    ratio = _pct(times["busy"], 0.95) / _pct(times["idle"], 0.95)
    print(f"p95 busy / idle = {ratio:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
