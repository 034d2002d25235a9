"""What a CPU user really gets from a 9B model, and what the router changes.

Random-weights GGUFs with the exact shapes of CodeGeeX4-ALL-9B and GLM-Edge-1.5B
(``shape_models.py``, built once into a cache outside the repository) run through the real
server over stdio on this machine:

1. per model alone: time to the first ghost text on a cold cache, on the next keystroke (KV
   cache reused) and after a jump elsewhere in the file; the prefill and decode speeds the
   server learned (``glm-lsp.stats`` ``model.routes``); the cold time at the default prompt
   budget, derived from the measured prefill speed;
2. LINE ghost-text latency p50/p95: the 9B shape alone vs the router (GLM-Edge shape for LINE,
   9B shape for BLOCK, a latency budget on LINE);
3. LINE latency while a BLOCK generation runs on the 9B shape (goal: p95 <= 1.5x LINE idle).

    python tests/benchmarks/bench_router.py [--line-samples 6] [--max-tokens 16]

Not a test: prints tables. Random weights never write a newline, so every generation runs to
``--max-tokens`` (16, a typical line): decode cost is what a real model pays for a long line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import shape_models

SOURCE = """import json
from dataclasses import dataclass


@dataclass
class Part:
    name: str
    count: int = 0


def cheapest(parts: list[Part], prices: dict[str, float]) -> Part | None:
    best = None
    for part in parts:
        price = prices.get(part.name)
        if best is None or price < prices[best.name]:
            best = part
    return best


def summary(parts: list[Part]) -> str:
    lines = []
    return "\\n".join(lines)


def restock(parts: list[Part], amount: int) -> None:
    for part in parts:
"""


class Client:
    """JSON-RPC over the server's stdio; a reader thread files responses by id with the time
    they arrived, so requests can overlap."""

    def __init__(self, options: dict[str, Any], cache: Path) -> None:
        env = {**os.environ, "GLM_LSP_CACHE_DIR": str(cache)}
        env.pop("GLM_LSP_MODEL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "glm_lsp", "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.answers: dict[int, tuple[float, dict[str, Any]]] = {}
        self.arrived: queue.Queue[int] = queue.Queue()
        self._id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": None,
                "capabilities": {},
                "initializationOptions": options,
            },
        )
        self.notify("initialized", {})

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if line == b"\r\n":
                    break
                if line.lower().startswith(b"content-length"):
                    length = int(line.split(b":")[1])
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:
                self._send({"id": message["id"], "result": None})
            elif "id" in message:
                self.answers[message["id"]] = (time.perf_counter(), message)
                self.arrived.put(message["id"])

    def start(self, method: str, params: Any) -> tuple[int, float]:
        self._id += 1
        sent = time.perf_counter()
        self._send({"id": self._id, "method": method, "params": params})
        return self._id, sent

    def wait(self, msg_id: int, timeout: float = 1800) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while msg_id not in self.answers:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to request {msg_id}")
            with contextlib.suppress(queue.Empty):
                self.arrived.get(timeout=1)
        return self.answers[msg_id]

    def request(self, method: str, params: Any) -> dict[str, Any]:
        msg_id, _ = self.start(method, params)
        return self.wait(msg_id)[1]

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def stats(self) -> dict[str, Any]:
        reply = self.request("workspace/executeCommand", {"command": "glm-lsp.stats"})
        result: dict[str, Any] = reply["result"]
        return result

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while True:
            model = self.stats()["model"]
            state = model.get("state")
            if state == "ready":
                return
            if state not in ("idle", "loading"):
                raise RuntimeError(f"model state {state}: {model.get('error')}")
            if time.monotonic() > deadline:
                raise TimeoutError("model never loaded")
            time.sleep(0.5)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Document:
    def __init__(self, client: Client, path: Path, text: str) -> None:
        self.client, self.uri, self.text, self.version = client, path.as_uri(), text, 1
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": self.uri, "languageId": "python", "version": 1, "text": text}},
        )

    def position(self, needle: str, after: bool = True) -> dict[str, int]:
        offset = self.text.index(needle) + (len(needle) if after else 0)
        line = self.text.count("\n", 0, offset)
        return {"line": line, "character": offset - (self.text.rfind("\n", 0, offset) + 1)}

    def type(self, pos: dict[str, int], text: str) -> dict[str, int]:
        self.version += 1
        lines = self.text.split("\n")
        row = lines[pos["line"]]
        lines[pos["line"]] = row[: pos["character"]] + text + row[pos["character"] :]
        self.text = "\n".join(lines)
        rng = {"start": pos, "end": pos}
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"range": rng, "text": text}],
            },
        )
        if "\n" in text:
            last = text.rsplit("\n", 1)[1]
            return {"line": pos["line"] + text.count("\n"), "character": len(last)}
        return {"line": pos["line"], "character": pos["character"] + len(text)}

    def inline(self, pos: dict[str, int]) -> tuple[int, float]:
        return self.client.start(
            "textDocument/inlineCompletion",
            {"textDocument": {"uri": self.uri}, "position": pos, "context": {"triggerKind": 2}},
        )  # automatic, as while typing

    def timed_inline(self, pos: dict[str, int]) -> float:
        msg_id, sent = self.inline(pos)
        arrived, _ = self.client.wait(msg_id)
        return (arrived - sent) * 1000.0


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def alone(path: Path, label: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    options = {
        "model": {"path": str(path)},
        "inline": {"maxTokens": args.max_tokens},
        "cache": {"dir": str(work / f"cache-{label}")},
    }
    client = Client(options, work / f"cache-{label}")
    started = time.perf_counter()
    client.wait_ready()
    load_s = time.perf_counter() - started
    doc = Document(client, work / f"{label}.py", SOURCE)
    pos = doc.type(doc.position("    lines = []"), "\n    count = l")
    cold = doc.timed_inline(pos)
    pos = doc.type(pos, "e")
    next_key = doc.timed_inline(pos)
    jump = doc.type(doc.position("    best = None"), "\n    total = ")
    jump_ms = doc.timed_inline(jump)
    model = client.stats()["model"]
    route = next(iter(model["routes"].values()))
    client.close()
    return {
        "label": label,
        "load_s": load_s,
        "cold_ms": cold,
        "next_ms": next_key,
        "jump_ms": jump_ms,
        "prefill_tps": route["prefill_tps"],
        "decode_tps": route["decode_tps"],
        "evaluated": model["prompt_tokens_evaluated"],
        "reused": model["prompt_tokens_reused"],
    }


def line_latencies(
    client: Client, doc: Document, samples: int, typed: str = "len(parts)"
) -> list[float]:
    """LINE requests as the user types a new line, one keystroke each."""
    pos = doc.position("    lines = []")
    pos = doc.type(pos, f"\n    {typed[0]}_count = ")
    out = []
    for ch in typed[1 : 1 + samples]:  # one request per keystroke
        pos = doc.type(pos, ch)
        out.append(doc.timed_inline(pos))
    return out


def warm_up_block_model(client: Client, work: Path) -> None:
    """Load the BLOCK model (it loads lazily, on first use) and run one BLOCK request, so the
    LINE measurements neither wait for nor compete with a 6 GB load."""
    doc = Document(client, work / "warm.py", SOURCE)
    pos = doc.type(
        doc.position("    return best"), "\n\n\ndef warm(parts: list[Part]) -> int:\n    "
    )
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        msg_id, _ = doc.inline(pos)
        client.wait(msg_id)
        routes = client.stats()["model"]["routes"]
        if routes["9b"]["generated_tokens"] > 0:
            return
        time.sleep(2.0)
    raise TimeoutError("the BLOCK model never answered")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--line-samples", type=int, default=6)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument(
        "--budget-ms",
        type=int,
        default=15000,
        help="LINE rule latency budget: the 1.5B fits it on 2 cores, the 9B does not",
    )
    parser.add_argument("--skip-alone", action="store_true")
    args = parser.parse_args()
    big = shape_models.build(shape_models.CODEGEEX4_9B)
    small = shape_models.build(shape_models.GLM_EDGE_1_5B)
    work = Path(tempfile.mkdtemp(prefix="glm-bench-router-"))
    print(
        f"models: {big.name} ({big.stat().st_size / 1e9:.2f} GB), "
        f"{small.name} ({small.stat().st_size / 1e9:.2f} GB); {os.cpu_count()} CPUs"
    )

    if not args.skip_alone:
        rows = [alone(small, "edge-1.5b", args, work), alone(big, "codegeex4-9b", args, work)]
        print("\n1. Each model alone, through the server (ghost text, ms)")
        print(
            f"{'model':<14}{'load s':>8}{'cold':>10}{'next key':>10}{'jump':>10}"
            f"{'prefill t/s':>13}{'decode t/s':>12}{'cold@2048 s':>13}"
        )
        for r in rows:
            derived = (
                2048 / r["prefill_tps"] + args.max_tokens / r["decode_tps"]
                if (r["prefill_tps"] and r["decode_tps"])
                else float("nan")
            )
            print(
                f"{r['label']:<14}{r['load_s']:>8.1f}{r['cold_ms']:>10.0f}{r['next_ms']:>10.0f}"
                f"{r['jump_ms']:>10.0f}{r['prefill_tps']:>13.1f}{r['decode_tps']:>12.2f}"
                f"{derived:>13.0f}"
            )

    # 2. LINE latency: the 9B alone vs the router.
    results: dict[str, list[float]] = {}
    configs = {
        "9B alone": {"model": {"path": str(big)}},
        "router": {
            "models": {
                "entries": [{"name": "edge", "path": str(small)}, {"name": "9b", "path": str(big)}]
            },
            "route": {
                "rules": [
                    {
                        "name": "line",
                        "mode": "line",
                        "models": ["edge", "9b"],
                        "latencyBudgetMs": args.budget_ms,
                    },
                    {"name": "block", "mode": "block", "models": ["9b"]},
                ]
            },
        },
    }
    concurrent: list[float] = []
    for label, extra in configs.items():
        options = {
            "inline": {"maxTokens": args.max_tokens, "mode": "auto"},
            "cache": {"dir": str(work / f"cache-{label}")},
            **extra,
        }
        client = Client(options, work / f"cache-{label.replace(' ', '-')}")
        client.wait_ready()
        doc = Document(client, work / f"line-{label.replace(' ', '-')}.py", SOURCE)
        if label == "router":
            warm_up_block_model(client, work)
        results[label] = line_latencies(client, doc, args.line_samples)
        if label == "router":
            block_doc = Document(client, work / "block.py", SOURCE)
            # A new function's empty body: BLOCK mode, a cold prompt for the 9B model.
            bpos = block_doc.position("    return best")
            bpos = block_doc.type(bpos, "\n\n\ndef total(parts: list[Part]) -> int:\n    ")
            block_id, block_sent = block_doc.inline(bpos)
            time.sleep(1.0)  # the BLOCK generation is running on the 9B model
            concurrent = line_latencies(client, doc, args.line_samples, "sum(p.count)")
            block_done, _ = client.wait(block_id)
            still_running = block_done - block_sent > 1.0 + sum(concurrent) / 1000
            print(
                f"\nBLOCK request took {block_done - block_sent:.1f} s; it was still running "
                f"when the last LINE answer came: {still_running}"
            )
            routes = client.stats()["model"]["routes"]
            print("router stats:", json.dumps(routes))
        client.close()

    print(f"\n2./3. LINE ghost-text latency (ms), {args.line_samples} keystrokes each")
    print(f"{'setup':<28}{'p50':>10}{'p95':>10}")
    rows2 = [
        ("9B alone", results["9B alone"]),
        ("router (edge LINE, 9B BLOCK)", results["router"]),
        ("router, BLOCK running on 9B", concurrent),
    ]
    for label, samples in rows2:
        print(f"{label:<28}{statistics.median(samples):>10.0f}{pct(samples, 95):>10.0f}")
    idle, busy = pct(results["router"], 95), pct(concurrent, 95)
    print(f"\nLINE p95 with a concurrent BLOCK / idle: {busy / idle:.2f}x (goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
