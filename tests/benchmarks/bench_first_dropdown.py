"""The first dropdown in a file vs the next ones, and what a big file's didOpen does to others.

Issue 11: right after opening ordinary files (standard-library modules of 1.7k-3.5k lines, the
workspace already indexed) the first completion took 39-172 ms, the next ones 3-5 ms: the whole
symbol extraction (and, for ``module.``, parsing that module) ran inside the request, and a
5 MB file's didOpen parsed on the event loop (~0.5 s), freezing requests for other documents.

The server runs over stdio on a workspace of copied stdlib modules, indexed first. Per file:
didOpen, then at once a completion at a sampled position (**first**), then ``--next`` more at
other positions (**next**); latency is client-side, send to answer. Then, with a small file
open, a generated file of ``--big-mb`` MB is opened and a completion in the small file is sent
right behind it and then every 10 ms for 2 s (**other, big opening: max**: the longest answer
shows how long the big file's didOpen held the event loop). ``--server-path`` runs another
checkout's ``glm_lsp`` (before/after in one run: pass the old one's path)::

    python tests/benchmarks/bench_first_dropdown.py [--files 12] [--next 8] [--big-mb 5]
        [--server-path /tmp/old-checkout]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from raw_client import Drain, RawServer

MODULES = (
    "argparse.py",
    "typing.py",
    "inspect.py",
    "subprocess.py",
    "tarfile.py",
    "shutil.py",
    "logging/__init__.py",
    "pathlib.py",
    "dataclasses.py",
    "enum.py",
    "zipfile.py",
    "configparser.py",
    "difflib.py",
    "pickle.py",
    "threading.py",
    "datetime.py",
)
_SITE = re.compile(r"(?:[A-Za-z_]\w*\.)?[A-Za-z_]\w{2,}")


class Client:
    """Sends requests and times their answers (client side, send to arrival)."""

    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.drain = Drain(server)
        self.sent: dict[int, float] = {}
        self.results: dict[int, Any] = {}
        self.errors: list[Any] = []
        self.next_id = 100

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.server.send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any], msg_id: int | None = None) -> int:
        if msg_id is None:
            self.next_id += 1
            msg_id = self.next_id
        self.sent[msg_id] = time.perf_counter()
        self.server.send({"id": msg_id, "method": method, "params": params})
        return msg_id

    def wait(self, msg_id: int, timeout: float = 120) -> float:
        """Milliseconds from sending request ``msg_id`` to its answer."""
        got = self.drain.wait(msg_id, timeout)
        if got is None:
            raise TimeoutError(f"no answer to request {msg_id}")
        arrived, message = got
        self.results[msg_id] = message.get("result")
        if "error" in message:
            self.errors.append(message["error"])
        return (arrived - self.sent[msg_id]) * 1000.0

    def complete(self, uri: str, line: int, character: int) -> float:
        params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        return self.wait(self.request("textDocument/completion", params))


def positions(text: str, rng: random.Random, n: int) -> list[tuple[int, int]]:
    """Cursor positions right after an identifier or ``name.member`` prefix (as if typed)."""
    lines = text.splitlines()
    sites: list[tuple[int, int]] = []
    for _ in range(n * 50):
        number = rng.randrange(len(lines))
        found = list(_SITE.finditer(lines[number]))
        if found and not lines[number].lstrip().startswith(("#", '"', "'")):
            m = rng.choice(found)
            cut = m.start() + max(1, (m.end() - m.start()) // 2)
            sites.append((number, cut))
        if len(sites) == n:
            break
    return sites


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run(server_path: str | None, workspace: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {"PYTHONPATH": server_path} if server_path else None
    cache = Path(tempfile.mkdtemp(prefix="glm-bench-first-cache-"))
    server = RawServer(cache, extra_env=env)
    client = Client(server)
    try:
        root = workspace.as_uri()
        params = {
            "processId": None,
            "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": "ws"}],
            "capabilities": {},
            "initializationOptions": {"model": {"backend": "none"}},
        }
        client.request("initialize", params, msg_id=0)
        client.wait(0)
        client.notify("initialized", {})
        every = [p for p in workspace.rglob("*.py") if p.name != "big.py"]
        wait_indexed(client, len(every))  # big.py is over the index size limit
        files = sorted(p for p in every if not p.name.startswith("zz_filler_"))
        rng = random.Random(args.seed)
        first: list[float] = []
        following: list[float] = []
        for path in files:
            text = path.read_text(encoding="utf-8")
            uri = path.as_uri()
            client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
            )
            sites = positions(text, rng, args.next + 1)
            first.append(client.complete(uri, *sites[0]))
            following.extend(client.complete(uri, *site) for site in sites[1:])
        # A big file's didOpen, and a request for another (small, open) file right behind it.
        small = files[0].as_uri()
        small_text = files[0].read_text(encoding="utf-8")
        site = positions(small_text, rng, 1)[0]
        idle = [client.complete(small, *site) for _ in range(5)]
        big = workspace / "big.py"
        big_text = big.read_text(encoding="utf-8")
        client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": big.as_uri(),
                    "languageId": "python",
                    "version": 1,
                    "text": big_text,
                }
            },
        )
        # Requests for the small file, one after the other, for 2 s: the longest shows a stall.
        behind: list[float] = []
        until = time.monotonic() + 2.0
        while time.monotonic() < until:
            behind.append(client.complete(small, *site))
            time.sleep(0.01)
        big_first = client.complete(big.as_uri(), *positions(big_text, rng, 1)[0])
        assert not client.errors, client.errors
        return {
            "first": first,
            "next": following,
            "idle": idle,
            "behind": behind,
            "big_first": big_first,
        }
    finally:
        server.close()
        shutil.rmtree(cache, ignore_errors=True)


def stats(client: Client) -> dict[str, Any]:
    msg_id = client.request(
        "workspace/executeCommand", {"command": "glm-lsp.stats", "arguments": []}
    )
    client.wait(msg_id)
    result = client.results.get(msg_id)
    return result if isinstance(result, dict) else {}


def wait_indexed(client: Client, files: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(stats(client).get("index", {}).get("files", 0)) >= files:
            return
        time.sleep(0.5)
    raise TimeoutError("the workspace was not indexed")


def make_workspace(args: argparse.Namespace) -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    workspace = Path(tempfile.mkdtemp(prefix="glm-bench-first-"))
    for name in MODULES[: args.files]:
        source = stdlib / name
        target = workspace / name.replace("/", "_")
        target.write_bytes(source.read_bytes())
    # More files than the extractor's memo of recent results holds (8), indexed after the
    # measured ones, as in any real workspace: an opened file is not among the last extracted.
    for i, source in enumerate(sorted(stdlib.glob("*.py"))[:16]):
        (workspace / f"zz_filler_{i}.py").write_bytes(source.read_bytes())
    # The big file: stdlib modules concatenated up to --big-mb (real code, not random text).
    chunks: list[str] = []
    size = 0
    sources = sorted(stdlib.glob("*.py"))
    i = 0
    while size < args.big_mb * 1_000_000:
        text = sources[i % len(sources)].read_text(encoding="utf-8", errors="replace")
        chunks.append(text)
        size += len(text.encode("utf-8"))
        i += 1
    (workspace / "big.py").write_text("\n".join(chunks), encoding="utf-8")
    return workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--next", type=int, default=8)
    parser.add_argument("--big-mb", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--server-path", action="append", default=[])
    args = parser.parse_args(argv)
    workspace = make_workspace(args)
    # `python -m glm_lsp` puts the current directory first on sys.path: from a checkout, that
    # checkout's package would be the one measured, whatever --server-path says.
    os.chdir(workspace)
    try:
        runs = [("this checkout", None)] + [(p, p) for p in args.server_path]
        print(
            f"{'server':<28}{'first p50':>11}{'first p95':>11}{'next p50':>10}{'next p95':>10}"
            f"{'first/next':>12}{'other idle':>12}{'other, big opening: max':>25}{'big first':>11}"
        )
        for label, path in runs:
            got = run(path, workspace, args)
            first, nxt = got["first"], got["next"]
            ratio = statistics.median(first) / statistics.median(nxt)
            print(
                f"{label[-28:]:<28}{statistics.median(first):>9.1f}ms{pct(first, 95):>9.1f}ms"
                f"{statistics.median(nxt):>8.1f}ms{pct(nxt, 95):>8.1f}ms{ratio:>11.1f}x"
                f"{statistics.median(got['idle']):>10.1f}ms{max(got['behind']):>23.1f}ms"
                f"{got['big_first']:>9.1f}ms"
            )
            print(
                json.dumps(
                    {
                        k: [round(v, 1) for v in vs] if isinstance(vs, list) else round(vs, 1)
                        for k, vs in got.items()
                    }
                ),
                file=sys.stderr,
            )
        return 0
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
