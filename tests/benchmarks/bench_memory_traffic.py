"""Server memory under random and malformed traffic (issue 11): RSS every few hundred messages.

The server gets :mod:`traffic`'s messages over stdio (random-code didOpen up to 2 MB with random
languageIds, random and out-of-range didChange, didClose, requests with garbage params). How much
it holds at a moment depends on which documents are open and how big they are (a 2 MB document of
random text takes a tree of ~160 MB); ``tests/server/test_memory_traffic.py`` checks that
replaying the same traffic leaves nothing behind. The numbers are in the README::

    python tests/benchmarks/bench_memory_traffic.py [--total 3000] [--every 300]

Run it from outside a checkout (``python -m glm_lsp`` takes the package from the current
directory first), with ``PYTHONPATH=OLD_CHECKOUT`` and ``cd OLD_CHECKOUT`` for an older one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from raw_client import Drain, RawServer
from traffic import Traffic


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def settle(server: RawServer, drain: Drain, msg_id: int) -> int:
    """RSS once the server answered everything sent so far and background work settled."""
    server.send(
        {
            "id": msg_id,
            "method": "workspace/executeCommand",
            "params": {"command": "glm-lsp.stats", "arguments": []},
        }
    )
    if not drain.wait(msg_id, 300):
        raise TimeoutError("the server stopped answering")
    time.sleep(3.0)  # debounced index updates (1 s) and background extraction
    return rss_kb(server.proc.pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=1500)
    parser.add_argument("--every", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    tmp_path = Path(tempfile.mkdtemp(prefix="glm-bench-memory-"))
    server = RawServer(tmp_path / "cache")
    print(f"{'messages':>10}{'RSS MB':>10}{'elapsed s':>12}")
    started = time.perf_counter()
    try:
        server.initialize(options={"model": {"backend": "none"}})
        drain = Drain(server)
        uris = [(tmp_path / f"f{i}.py").as_uri() for i in range(3)] + ["untitled:Untitled-1"]
        for n, message in enumerate(Traffic(args.seed, uris).messages(), start=1):
            server.write_body(json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8"))
            # At most a few requests in flight: what is kept, not a backlog of input.
            if "id" in message and n % 20 == 0 and not drain.wait(message["id"], 300):
                print(f"no answer to {message['method']} after 300 s")
                return 1
            if n % args.every == 0:
                rss = settle(server, drain, n)
                print(f"{n:>10}{rss / 1024:>10.0f}{time.perf_counter() - started:>12.0f}")
            if n >= args.total:
                return 0
        return 0
    finally:
        server.close()


if __name__ == "__main__":
    raise SystemExit(main())
