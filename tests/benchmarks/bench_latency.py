"""Dropdown latency through the real stdio protocol: glm-lsp vs jedi-language-server.

For standard-library files of roughly 100 to 3,000 lines, both servers get the same session: open
the file, then for sampled member accesses ``obj.name`` replace ``name`` with its first letter
(``didChange``) and immediately ask for completion there. The time from sending the completion
request to receiving its response is what a user waits for after a keystroke; it includes any
part of the ``didChange`` still being processed. Reverting edits are not timed, and samples are
``--pause`` apart (a typist's pace; background work a server starts per keystroke then competes
with the next request the way it would in an editor).

    python tests/benchmarks/bench_latency.py [--samples 30] [--files a.py b.py ...]

Not a test: prints a table. Targets (issue 2): p50 <= 5 ms, p95 <= 20 ms, >= 20x faster than
jedi-language-server at p50.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TARGET_LINES = (100, 300, 1000, 3000)
MEMBER = re.compile(r"\b([A-Za-z_][\w]*)\.([A-Za-z_]\w{2,})")


class Server:
    """A minimal synchronous LSP client over a subprocess' stdio."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._next = 0
        self._responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
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
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:  # a request from the server
                self._write({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.put(message)
            else:
                with self._lock:
                    box = self._responses.get(message["id"])
                if box is not None:
                    box.put(message)

    def request(self, method: str, params: Any, timeout: float = 120.0) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            msg_id = self._next
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._responses[msg_id] = box
        self._write({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        try:
            return box.get(timeout=timeout)
        finally:
            with self._lock:
                self._responses.pop(msg_id, None)

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


@dataclass
class Edit:
    line: int
    start: int  # utf-16 column where the member name starts
    name: str


@dataclass
class Result:
    label: str
    file: str
    lines: int
    samples: list[float] = field(default_factory=list)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def pick_files(paths: list[str] | None) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    candidates: list[tuple[int, Path]] = []
    for path in sorted(stdlib.glob("*.py")):
        try:
            n = path.read_text(encoding="utf-8").count("\n")
        except (OSError, UnicodeDecodeError):
            continue
        candidates.append((n, path))
    chosen = []
    for target in TARGET_LINES:
        n, path = min(candidates, key=lambda c: abs(c[0] - target))
        chosen.append(path)
    return chosen


def pick_edits(text: str, count: int, rng: random.Random) -> list[Edit]:
    edits = []
    for i, line in enumerate(text.splitlines()):
        stripped = line.lstrip()
        if stripped.startswith(("#", "import ", "from ")) or '"' in line or "'" in line:
            continue
        for m in MEMBER.finditer(line):
            edits.append(Edit(i, utf16(line[: m.start(2)]), m.group(2)))
    rng.shuffle(edits)
    return edits[:count]


def initialize(server: Server, root: Path, options: dict[str, Any]) -> None:
    server.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {
                "textDocument": {"completion": {"completionItem": {"snippetSupport": False}}},
                "window": {"workDoneProgress": False},
            },
            "initializationOptions": options,
        },
    )
    server.notify("initialized", {})


def run_file(
    server: Server, label: str, path: Path, edits: list[Edit], warmup: int, pause: float
) -> Result:
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    version = 1
    result = Result(label, path.name, text.count("\n"))
    for n, edit in enumerate(edits):
        typed = edit.name[0]
        start = {"line": edit.line, "character": edit.start}
        end = {"line": edit.line, "character": edit.start + utf16(edit.name)}
        version += 1
        server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": start, "end": end}, "text": typed}],
            },
        )
        cursor = {"line": edit.line, "character": edit.start + 1}
        started = time.perf_counter()
        response = server.request(
            "textDocument/completion", {"textDocument": {"uri": uri}, "position": cursor}
        )
        elapsed = (time.perf_counter() - started) * 1000.0
        if "error" in response:
            print(f"  {label}: error at {path.name}:{edit.line}: {response['error']}")
        elif n >= warmup:
            result.samples.append(elapsed)
        version += 1
        back_end = {"line": edit.line, "character": edit.start + 1}
        server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": start, "end": back_end}, "text": edit.name}],
            },
        )
        time.sleep(pause)  # typing pace: a server's per-keystroke background work may finish
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return result


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, round(q / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="timed requests per file")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per file first")
    parser.add_argument("--files", nargs="*", help="files to use (default: stdlib picks)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--pause", type=float, default=0.15, help="seconds between samples (typing pace)"
    )
    parser.add_argument("--no-jedi", action="store_true", help="measure glm-lsp only")
    args = parser.parse_args(argv)

    sources = pick_files(args.files)
    rng = random.Random(args.seed)
    plan = {
        path.name: pick_edits(path.read_text(encoding="utf-8"), args.samples + args.warmup, rng)
        for path in sources
    }
    servers: list[tuple[str, list[str]]] = [("glm-lsp", [sys.executable, "-m", "glm_lsp"])]
    jedi = shutil.which("jedi-language-server", path=str(Path(sys.executable).parent))
    if not args.no_jedi:
        if jedi is None:
            print("jedi-language-server not found next to this interpreter; measuring glm-lsp only")
        else:
            servers.append(("jedi-ls", [jedi]))

    results: dict[str, list[Result]] = {}
    server_side: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="glm-lsp-bench-") as tmp:
        # The workspace is just the measured files: the index build is not what is timed here
        # (bench_index.py measures it), so both servers see the same small project.
        root = Path(tmp) / "workspace"
        root.mkdir()
        files = [Path(shutil.copy(path, root / path.name)) for path in sources]
        env = {**os.environ, "GLM_LSP_CACHE_DIR": str(Path(tmp) / "cache")}
        env.pop("GLM_LSP_MODEL", None)
        for label, argv_ in servers:
            server = Server(argv_, env=env)
            options = {"model": {"backend": "none"}} if label == "glm-lsp" else {}
            initialize(server, root, options)
            time.sleep(2.0)  # let the background index of the small workspace finish
            results[label] = [
                run_file(server, label, path, plan[path.name], args.warmup, args.pause)
                for path in files
            ]
            if label == "glm-lsp":
                reply = server.request(
                    "workspace/executeCommand", {"command": "glm-lsp.stats", "arguments": []}
                )
                server_side = reply.get("result") or {}
            server.close()

    print_table(results)
    for name in ("completion", "did_change"):
        section = server_side.get(name, {})
        if section:
            print(
                f"glm-lsp server-side {name} handler (incl. warm-up): "
                f"p50 {section.get('p50_ms', 0):.2f} ms, p95 {section.get('p95_ms', 0):.2f} ms"
            )
    return 0


def print_table(results: dict[str, list[Result]]) -> None:
    labels = list(results)
    header = f"{'file':<22}{'lines':>6}"
    for label in labels:
        header += f"  {label + ' p50':>12}{'p95':>8}"
    if len(labels) == 2:
        header += f"  {'ratio p50':>10}"
    print(header)
    print("-" * len(header))
    rows = zip(*(results[label] for label in labels), strict=True)
    for group in rows:
        line = f"{group[0].file:<22}{group[0].lines:>6}"
        for res in group:
            line += f"  {percentile(res.samples, 50):>9.2f} ms{percentile(res.samples, 95):>6.1f}"
        if len(group) == 2:
            ratio = percentile(group[1].samples, 50) / max(percentile(group[0].samples, 50), 1e-9)
            line += f"  {ratio:>9.1f}x"
        print(line)
    all_samples = {label: [s for r in results[label] for s in r.samples] for label in labels}
    line = f"{'all':<22}{'':>6}"
    for label in labels:
        samples = all_samples[label]
        line += f"  {percentile(samples, 50):>9.2f} ms{percentile(samples, 95):>6.1f}"
    if len(labels) == 2:
        ratio = percentile(all_samples[labels[1]], 50) / max(
            percentile(all_samples[labels[0]], 50), 1e-9
        )
        line += f"  {ratio:>9.1f}x"
    print(line)
    ours = all_samples[labels[0]]
    p50, p95 = percentile(ours, 50), percentile(ours, 95)
    print(
        f"\ntargets: p50 <= 5 ms: {'met' if p50 <= 5 else 'NOT met'} ({p50:.2f}); "
        f"p95 <= 20 ms: {'met' if p95 <= 20 else 'NOT met'} ({p95:.2f})",
        end="",
    )
    if len(labels) == 2:
        ratio = percentile(all_samples[labels[1]], 50) / max(p50, 1e-9)
        print(f"; >= 20x jedi-ls at p50: {'met' if ratio >= 20 else 'NOT met'} ({ratio:.1f}x)")
    else:
        print()


if __name__ == "__main__":
    raise SystemExit(main())
