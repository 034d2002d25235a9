"""What the trace costs the dropdown: p50/p95 with ``trace.enabled`` off vs on, in the same run.

Two glm-lsp servers (static completion, ``model.backend = none``) run the same session as
``bench_latency.py`` — open a stdlib file, then per sampled member access ``obj.name`` type the
first letter and ask for completion there — one with tracing off, one with it on, alternating
file by file and round by round so drift on a shared machine hits both alike. Reported: the
client-side time per request and the server-side completion handler time (``glm-lsp.stats``),
and how many records the traced server wrote (so "on" really traced).

    python tests/benchmarks/bench_trace_overhead.py [--samples 40] [--rounds 2]

Not a test: prints a table. Goal (issue 13): at most 5 % slower at p50 with tracing on.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_latency import (
    Server,
    initialize,
    percentile,
    pick_edits,
    pick_files,
    run_file,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=40, help="timed requests per file/round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between samples")
    parser.add_argument("--files", nargs="*", help="files to use (default: stdlib picks)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    sources = pick_files(args.files)
    rng = random.Random(args.seed)
    plan = {
        p.name: pick_edits(p.read_text(encoding="utf-8"), args.samples + args.warmup, rng)
        for p in sources
    }
    samples: dict[str, list[float]] = {"off": [], "on": []}
    server_side: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="glm-lsp-trace-bench-") as tmp:
        root = Path(tmp) / "workspace"
        root.mkdir()
        files = []
        for path in sources:
            target = root / path.name
            target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            files.append(target)
        servers: dict[str, Server] = {}
        for label in ("off", "on"):
            cache = Path(tmp) / f"cache-{label}"
            env = {**os.environ, "GLM_LSP_CACHE_DIR": str(cache)}
            env.pop("GLM_LSP_MODEL", None)
            servers[label] = Server([sys.executable, "-m", "glm_lsp"], env=env)
            options = {
                "model": {"backend": "none"},
                "cache": {"dir": str(cache)},
                "trace": {"enabled": label == "on"},
            }
            initialize(servers[label], root, options)
        time.sleep(2.0)  # the background index of the small workspace
        for n in range(args.rounds):
            for path in files:
                order = ("off", "on") if n % 2 == 0 else ("on", "off")
                for label in order:
                    result = run_file(
                        servers[label], label, path, plan[path.name], args.warmup, args.pause
                    )
                    samples[label].extend(result.samples)
        for label, server in servers.items():
            reply = server.request(
                "workspace/executeCommand", {"command": "glm-lsp.stats", "arguments": []}
            )
            server_side[label] = (reply.get("result") or {}).get("completion", {})
            server.close()
        trace_dir = Path(tmp) / "cache-on" / "trace"
        records = sum(
            len(f.read_text(encoding="utf-8").splitlines()) for f in trace_dir.glob("*.jsonl")
        )

    print(
        f"{len(files)} files x {args.rounds} rounds: {len(samples['on'])} timed requests per server"
    )
    print(f"{'':<34}{'trace off':>11}{'trace on':>11}{'change':>9}")
    for name, q in (("client p50 (ms)", 50), ("client p95 (ms)", 95)):
        off, on = percentile(samples["off"], q), percentile(samples["on"], q)
        print(f"{name:<34}{off:>11.2f}{on:>11.2f}{(on - off) / off:>+9.1%}")
    for key, name in (("p50_ms", "server handler p50 (ms)"), ("p95_ms", "server handler p95 (ms)")):
        off = float(server_side["off"].get(key, 0.0))
        on = float(server_side["on"].get(key, 0.0))
        change = (on - off) / off if off else 0.0
        print(f"{name:<34}{off:>11.2f}{on:>11.2f}{change:>+9.1%}")
    print(f"records written with tracing on: {records}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
