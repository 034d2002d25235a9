"""Overhead of our model path vs bare llama_cpp, and how fast cancellation lands.

1. tokens/s: the same prompt and greedy sampling through (a) a bare ``Llama.generate`` loop,
   (b) ``LlamaBackend.generate``, (c) ``ModelWorker.submit`` (thread hop + future). Target: ≤ 5%
   loss. Each run starts from an empty KV cache (``reset()``) so prefill is included equally.
2. cancellation latency: time from ``cancel()`` to ``generate`` returning, during decode
   (checked per token) and during a long prefill (checked between ``n_batch`` chunks, and inside
   ``llama_decode`` by the abort callback when enabled).

Run: ``python tests/benchmarks/bench_overhead.py [--model GGUF] [--threads N] [--runs N]``.
Defaults to the shipped tiny model, whose ~1 ms/token makes per-token Python overhead look as
large as it can ever be; on a real 1.5B/9B model the same overhead is a smaller fraction.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from glm_lsp.model.backend import CancelToken, GenerationRequest  # noqa: E402
from glm_lsp.model.llama import LlamaBackend, default_tiny_model_path  # noqa: E402
from glm_lsp.model.templates import CODEGEEX4, FimRequest  # noqa: E402
from glm_lsp.model.worker import ModelWorker  # noqa: E402

PREFIX = "import os\n\n\ndef walk(root):\n    for name in os.listdir(root):\n        path = "
SUFFIX = "\n        yield path\n"


def prompt() -> str:
    fim = FimRequest(prefix=PREFIX * 4, suffix=SUFFIX, path="walk.py", language="Python")
    return CODEGEEX4.render(fim)


def bare(llm: Any, ids: list[int], n: int) -> float:
    llm.reset()
    start = time.perf_counter()
    produced = 0
    for _tok in llm.generate(ids, temp=0.0, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0):
        produced += 1
        if produced >= n:
            break
    return produced / (time.perf_counter() - start)


def ours(backend: LlamaBackend, req: GenerationRequest) -> float:
    backend._require().reset()
    gen = backend.generate(req)
    assert gen.generated_tokens == req.max_tokens, gen
    return gen.generated_tokens / gen.elapsed_s


def via_worker(worker: ModelWorker, backend: LlamaBackend, req: GenerationRequest) -> float:
    worker.call(lambda: backend._require().reset()).result()
    start = time.perf_counter()
    gen = worker.submit(req).result()
    return gen.generated_tokens / (time.perf_counter() - start)


def cancel_latency(
    backend: LlamaBackend, req: GenerationRequest, after_s: float
) -> tuple[float, str]:
    backend._require().reset()
    token = CancelToken()
    stamp: dict[str, float] = {}

    def fire() -> None:
        stamp["t"] = time.perf_counter()
        token.cancel()

    timer = threading.Timer(after_s, fire)
    timer.start()
    gen = backend.generate(req, token)
    end = time.perf_counter()
    timer.join()
    if "t" not in stamp:
        return float("nan"), gen.finish_reason
    return (end - stamp["t"]) * 1000, gen.finish_reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_tiny_model_path())
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--gpu-layers", default="auto")
    args = parser.parse_args(argv)
    gpu: int | str = args.gpu_layers if args.gpu_layers == "auto" else int(args.gpu_layers)

    backend = LlamaBackend(args.model, context_size=4096, n_threads=args.threads, gpu_layers=gpu)
    worker = ModelWorker(backend)
    worker.load().result()
    never = (-1,)  # an explicit id no token has: do not stop on EOG mid-benchmark
    text = prompt()
    req = GenerationRequest(prompt=text, max_tokens=args.tokens, stop_ids=never)
    llm = backend._require()
    ids = backend.tokenize(text)

    plain = LlamaBackend(
        args.model, context_size=4096, n_threads=args.threads, gpu_layers=gpu, abort_callback=False
    )
    plain.load()
    rows: dict[str, list[float]] = {
        "bare llama_cpp": [],
        "LlamaBackend": [],
        "LlamaBackend, no abort callback": [],
        "ModelWorker": [],
    }
    bare(llm, ids, 8)  # warm-up
    for _ in range(args.runs):  # interleaved so machine-load drift hits all three alike
        rows["bare llama_cpp"].append(bare(llm, ids, args.tokens))
        rows["LlamaBackend"].append(ours(backend, req))
        rows["LlamaBackend, no abort callback"].append(ours(plain, req))
        rows["ModelWorker"].append(via_worker(worker, backend, req))
    base = statistics.median(rows["bare llama_cpp"])
    print(
        f"model {args.model.name}, prompt {len(ids)} tokens, {args.tokens} generated, "
        f"threads {args.threads}, gpu layers {backend.gpu_layers}, {args.runs} runs (median)"
    )
    best_base = max(rows["bare llama_cpp"])
    print("| path | tokens/s median | vs bare | tokens/s best | vs bare (best) |")
    print("|---|---|---|---|---|")
    for name, values in rows.items():
        med, best = statistics.median(values), max(values)
        print(
            f"| {name} | {med:.1f} | {100 * (med - base) / base:+.1f}% | {best:.1f} | "
            f"{100 * (best - best_base) / best_base:+.1f}% |"
        )

    long_fim = FimRequest(prefix="value = compute(value, 1)\n" * 300, suffix="", path="l.py")
    long_req = GenerationRequest(prompt=CODEGEEX4.render(long_fim), max_tokens=4, stop_ids=never)
    n_long = len(backend.tokenize(long_req.prompt))
    decode_req = GenerationRequest(prompt=text, max_tokens=3000, stop_ids=never)
    worker.close()
    plain.close()
    print(f"\ncancellation latency (ms from cancel() to return; prefill prompt {n_long} tokens)")
    print("| phase | abort callback | n_batch | median ms | max ms |")
    print("|---|---|---|---|---|")
    for use_cb in (True, False):
        for n_batch in (512, 64):
            b = LlamaBackend(
                args.model,
                context_size=4096,
                n_threads=args.threads,
                gpu_layers=gpu,
                n_batch=n_batch,
                abort_callback=use_cb,
            )
            b.load()
            start = time.perf_counter()
            b._require().reset()
            b.generate(long_req)
            prefill_s = time.perf_counter() - start
            lat = [cancel_latency(b, long_req, prefill_s * 0.3)[0] for _ in range(5)]
            print(
                f"| prefill | {'on' if use_cb else 'off'} | {n_batch} | "
                f"{statistics.median(lat):.1f} | {max(lat):.1f} |"
            )
            if n_batch == 512:
                dec = [cancel_latency(b, decode_req, 0.05)[0] for _ in range(5)]
                print(
                    f"| decode | {'on' if use_cb else 'off'} | {n_batch} | "
                    f"{statistics.median(dec):.1f} | {max(dec):.1f} |"
                )
            b.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
