"""Soak (issue 11): thousands of edits in bursts and a thousand dropdowns on a real workspace,
with the embedded model loaded; every request answered, no error, RSS growth < 10 % after warm-up.

The workspace is a temporary copy of ~30 standard-library modules (28-3,343 lines). The server
runs over stdio with default model settings (it loads the embedded glm-code-tiny) and indexes the
copy. A seeded client then edits like a person, in bursts with pauses between them:

* **retype a line**: the rest of a code line after its indentation is deleted, then typed back
  character by character (incremental ``didChange`` insertions, versions increasing), with an
  occasional typo corrected by a backspace; the file is the same again afterwards;
* **new line**: Enter (a newline plus the indentation) at the end of a line, then a line copied
  from elsewhere in the file typed character by character (the file grows a little);
* a ``textDocument/completion`` at the cursor every ~10 edits (the positions are drawn upfront:
  exactly ``--completions`` of them), at most ``--inflight`` requests unanswered at a time;
* ghost text: an *automatic* ``textDocument/inlineCompletion`` after some keystroke, cancelled
  (``$/cancelRequest``) if still unanswered at the next one, as editors do; an *invoked* one at
  the end of some bursts, awaited. Both run the model;
* switching files (at most ``--max-open`` open; the least recently used one is closed), and now
  and then closing and reopening the current one.

Warm-up is the first ``--warmup`` share of the edits; the rest is split into ``--phases`` equal
phases. At each phase's end the client waits for every answer and 3 s of quiet (debounced index
updates) and reads the server's RSS (``VmRSS``); RSS is also sampled, unsettled, every
``--every`` edits. Growth = RSS at the end / RSS after warm-up - 1; peak = ``VmHWM``.

Exit 1 when a request is unanswered, an answer is an error (a ``RequestCancelled`` answer to a
request the client cancelled is not one), the server's stderr holds a traceback, or RSS grew by
10 % or more.

    python tests/benchmarks/bench_soak.py [--edits 10000] [--completions 1000] [--seed 11]

Diagnostics: ``--inline-rate 0 --auto-inline-rate 0`` (no model requests), ``--reopen-rate 0
--switch-rate 0`` (no close/reopen, one file).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from raw_client import RawServer

MODULES = (
    # a few of 1,000-3,300 lines
    "argparse.py",
    "tarfile.py",
    "inspect.py",
    "subprocess.py",
    "difflib.py",
    "configparser.py",
    "dataclasses.py",
    "pathlib.py",
    "zipfile.py",
    "optparse.py",
    # 300-1,000 lines
    "functools.py",
    "textwrap.py",
    "tempfile.py",
    "shlex.py",
    "calendar.py",
    "pprint.py",
    "contextlib.py",
    "gzip.py",
    "uuid.py",
    "heapq.py",
    "statistics.py",
    "string.py",
    "copy.py",
    "weakref.py",
    "queue.py",
    # under 300 lines
    "glob.py",
    "fnmatch.py",
    "bisect.py",
    "sched.py",
    "secrets.py",
    "keyword.py",
    "this.py",
)

MAX_WAIT_S = 120.0
"""How long an answer may take before it counts as unanswered (the model runs on 2 cores)."""
CANCELLED = -32800


def rss_kb(pid: int, key: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key}")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Sent:
    method: str
    phase: int
    at: float
    trigger: str = ""
    cancelled: bool = False


@dataclass
class Answer:
    at: float
    error: dict[str, Any] | None
    result: Any = None


class Drain:
    """Reads every message the server sends (so its writes never block), answers its requests,
    and records when each of ours was answered and whether with an error."""

    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.answers: dict[Any, Answer] = {}
        self.keep: set[Any] = set()  # ids whose result is kept (stats)
        self.log_errors: list[str] = []
        self.shown: list[str] = []
        self.cond = threading.Condition()
        self.closed = False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self) -> None:
        while True:
            try:
                message = self.server.read()
            except (EOFError, ValueError, OSError):
                with self.cond:
                    self.closed = True
                    self.cond.notify_all()
                return
            method = message.get("method")
            if method is not None:
                if "id" in message:
                    self.server.send({"id": message["id"], "result": None})
                params = message.get("params") or {}
                if method == "window/logMessage" and params.get("type") == 1:
                    self.log_errors.append(str(params.get("message")))
                elif method == "window/showMessage":
                    self.shown.append(str(params.get("message")))
                continue
            msg_id = message.get("id")
            result = message.get("result") if msg_id in self.keep else None
            with self.cond:
                self.answers[msg_id] = Answer(time.monotonic(), message.get("error"), result)
                self.cond.notify_all()

    def wait(self, msg_id: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while msg_id not in self.answers:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return False
                self.cond.wait(left)
            return True

    def answered(self, msg_id: Any) -> bool:
        with self.cond:
            return msg_id in self.answers


@dataclass
class Doc:
    uri: str
    lines: list[str]
    version: int = 1
    open: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Client:
    """The simulated editor: the documents as it sees them, the requests it sent."""

    server: RawServer
    drain: Drain
    inflight_max: int
    sent: dict[int, Sent] = field(default_factory=dict)
    next_id: int = 100
    phase: int = 0

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.server.send({"method": method, "params": params})

    def pending(self) -> list[int]:
        return [i for i in self.sent if not self.drain.answered(i)]

    def request(self, method: str, params: dict[str, Any], trigger: str = "") -> int:
        # At most a few requests in flight: the oldest is awaited before another goes out.
        while len(pending := self.pending()) >= self.inflight_max:
            if not self.drain.wait(pending[0], MAX_WAIT_S):
                break  # counted as unanswered at the end
        self.next_id += 1
        self.sent[self.next_id] = Sent(method, self.phase, time.monotonic(), trigger)
        self.server.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def cancel(self, msg_id: int) -> None:
        if not self.drain.answered(msg_id):
            self.sent[msg_id].cancelled = True
            self.notify("$/cancelRequest", {"id": msg_id})

    def stats(self) -> dict[str, Any]:
        """``glm-lsp.stats`` (not counted with the measured traffic)."""
        self.next_id += 1
        msg_id = self.next_id
        self.drain.keep.add(msg_id)
        params = {"command": "glm-lsp.stats", "arguments": []}
        self.server.send({"id": msg_id, "method": "workspace/executeCommand", "params": params})
        if not self.drain.wait(msg_id, MAX_WAIT_S):
            raise TimeoutError("the server stopped answering glm-lsp.stats")
        answer = self.drain.answers[msg_id]
        assert answer.error is None, answer.error
        result: dict[str, Any] = answer.result or {}
        return result

    def settle(self) -> tuple[int, dict[str, Any]]:
        """RSS once every request was answered and background work had 3 s of quiet, and the
        server's stats."""
        for msg_id in self.pending():
            self.drain.wait(msg_id, MAX_WAIT_S)
        stats = self.stats()
        time.sleep(3.0)
        return rss_kb(self.server.proc.pid), stats

    # documents

    def open(self, doc: Doc) -> None:
        doc.open = True
        item = {"uri": doc.uri, "languageId": "python", "version": doc.version, "text": doc.text}
        self.notify("textDocument/didOpen", {"textDocument": item})

    def close(self, doc: Doc) -> None:
        doc.open = False
        self.notify("textDocument/didClose", {"textDocument": {"uri": doc.uri}})

    def change(self, doc: Doc, line: int, start: int, end: int, text: str) -> None:
        """Replace columns ``start:end`` of ``line`` (ASCII lines: the columns are UTF-16 too)."""
        old = doc.lines[line]
        doc.lines[line : line + 1] = (old[:start] + text + old[end:]).split("\n")
        doc.version += 1
        span = {
            "start": {"line": line, "character": start},
            "end": {"line": line, "character": end},
        }
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": doc.uri, "version": doc.version},
                "contentChanges": [{"range": span, "text": text}],
            },
        )


def at(doc: Doc, line: int, character: int) -> dict[str, Any]:
    return {"textDocument": {"uri": doc.uri}, "position": {"line": line, "character": character}}


def editable(doc: Doc) -> list[int]:
    """ASCII code lines with 3-80 characters after their (space) indentation."""
    return [
        i
        for i, line in enumerate(doc.lines)
        if line.isascii()
        and "\t" not in line
        and 3 <= len(line.strip()) <= 80
        and not line.lstrip().startswith("#")
    ]


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def keystrokes(rng: random.Random, text: str, start: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, text) changes that type ``text`` from column ``start``, with a few typos."""
    col = start
    for ch in text:
        if ch.isalpha() and rng.random() < 0.03:
            yield col, col, rng.choice("etaoinsr")  # a typo...
            yield col, col + 1, ""  # ...and its backspace
        yield col, col, ch
        col += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--completions", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--warmup", type=float, default=0.15, help="share of the edits")
    parser.add_argument("--phases", type=int, default=3, help="after warm-up")
    parser.add_argument("--every", type=int, default=500, help="RSS sample every N edits")
    parser.add_argument("--inflight", type=int, default=3)
    parser.add_argument("--max-open", type=int, default=4)
    parser.add_argument("--key-delay", type=float, default=0.01, help="seconds per keystroke")
    parser.add_argument("--pause", type=float, nargs=2, default=(0.1, 0.6), metavar=("MIN", "MAX"))
    parser.add_argument("--inline-rate", type=float, default=0.15, help="invoked, per burst")
    parser.add_argument("--auto-inline-rate", type=float, default=0.3, help="automatic, per burst")
    parser.add_argument("--switch-rate", type=float, default=0.25, help="other file, per burst")
    parser.add_argument("--reopen-rate", type=float, default=0.04, help="close+reopen, per burst")
    parser.add_argument("--newline-rate", type=float, default=0.2, help="new line, per burst")
    parser.add_argument("--stderr", type=Path, help="keep the server's stderr in this file")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="glm-bench-soak-"))
    root = tmp / "ws"
    root.mkdir()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    docs: list[Doc] = []
    for name in MODULES:
        if (stdlib / name).exists():
            shutil.copy(stdlib / name, root / name)
            doc = Doc((root / name).as_uri(), (root / name).read_text("utf-8").split("\n"))
            if len(editable(doc)) >= 10:
                docs.append(doc)
    stderr = args.stderr or tmp / "stderr.log"
    server = RawServer(tmp / "cache", stderr=stderr)
    try:
        return Soak(args, server, root, docs, stderr).run()
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)


class Soak:
    def __init__(
        self, args: argparse.Namespace, server: RawServer, root: Path, docs: list[Doc], stderr: Path
    ) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.server = server
        self.root = root
        self.docs = docs
        self.stderr = stderr
        self.edits = 0
        self.lru: list[Doc] = []
        self.bursts = 0
        self.reopens = 0
        self.opens = 0
        self.samples: list[tuple[int, int, float]] = []  # edits, RSS kB, elapsed s
        self.phase_rss: list[int] = []
        self.phase_stats: list[dict[str, Any]] = []
        warm = int(args.edits * args.warmup)
        rest = args.edits - warm
        self.ends = [warm] + [warm + rest * k // args.phases for k in range(1, args.phases + 1)]
        self.ask: dict[int, int] = {}  # after edit n: that many completion requests
        for _ in range(args.completions):
            n = self.rng.randint(1, args.edits)
            self.ask[n] = self.ask.get(n, 0) + 1

    def initialize(self) -> None:
        root = self.root.as_uri()
        capabilities = {
            "window": {"workDoneProgress": True},
            "textDocument": {
                "completion": {"completionItem": {"snippetSupport": True}},
                "inlineCompletion": {},
            },
        }
        self.server.send(
            {
                "id": 0,
                "method": "initialize",
                "params": {
                    "processId": None,
                    "rootUri": root,
                    "workspaceFolders": [{"uri": root, "name": "ws"}],
                    "capabilities": capabilities,
                    "initializationOptions": {"model": {}},  # default: the embedded model
                },
            }
        )
        reply = self.server.read_response(0)
        assert "result" in reply, reply
        self.server.send({"method": "initialized", "params": {}})

    def wait_ready(self) -> dict[str, Any]:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            stats = self.client.stats()
            model = stats.get("model", {})
            if model.get("state") == "failed":
                raise SystemExit(f"the model did not load: {model.get('error')}")
            if model.get("state") == "ready" and stats["index"]["files"] >= len(self.docs):
                return stats
            time.sleep(0.2)
        raise SystemExit("model or index not ready after 300 s")

    def run(self) -> int:
        started = time.monotonic()
        self.initialize()
        self.drain = Drain(self.server)
        self.client = Client(self.server, self.drain, self.args.inflight)
        ready = self.wait_ready()
        load_s = time.monotonic() - started
        rss_ready, _ = self.client.settle()
        edit_started = time.monotonic()
        while self.edits < self.args.edits:
            self.burst()
        edit_s = time.monotonic() - edit_started
        final = self.client.stats()
        self.hwm = rss_kb(self.server.proc.pid, "VmHWM")
        exit_code, exit_s = self.shutdown()
        return self.report(ready, final, load_s, edit_s, rss_ready, exit_code, exit_s)

    # the editing

    def focus(self) -> Doc:
        rng = self.rng
        if not self.lru or rng.random() < self.args.switch_rate:
            doc = rng.choice(self.docs)
        else:
            doc = self.lru[-1]
        if doc in self.lru:
            self.lru.remove(doc)
        self.lru.append(doc)
        if not doc.open:
            self.client.open(doc)
            self.opens += 1
        elif rng.random() < self.args.reopen_rate:
            self.client.close(doc)
            self.client.open(doc)
            self.reopens += 1
        while len(self.lru) > self.args.max_open:
            self.client.close(self.lru.pop(0))
        return doc

    def burst(self) -> None:
        rng, args, client = self.rng, self.args, self.client
        self.bursts += 1
        doc = self.focus()
        lines = editable(doc)
        i = rng.choice(lines)
        line = doc.lines[i]
        if rng.random() < args.newline_rate:  # Enter at the end of line i, type a line
            indent = indent_of(line)
            typed = doc.lines[rng.choice(lines)].strip()
            self.edit(doc, i, len(line), len(line), "\n" + " " * indent)
            i += 1
        else:  # delete the rest of line i, type it again
            indent = indent_of(line)
            typed = line[indent:]
            self.edit(doc, i, indent, len(line), "")
        auto_after = rng.randrange(len(typed)) if rng.random() < args.auto_inline_rate else -1
        auto: int | None = None
        col = indent
        for n, (start, end, text) in enumerate(keystrokes(rng, typed, indent)):
            if self.edits >= args.edits:
                return
            if auto is not None:
                client.cancel(auto)  # the next keystroke: the editor drops the pending one
                auto = None
            self.edit(doc, i, start, end, text)
            col = start + len(text)
            if n == auto_after:
                params = {**at(doc, i, col), "context": {"triggerKind": 2}}
                auto = client.request("textDocument/inlineCompletion", params, "automatic")
            time.sleep(args.key_delay)
        if rng.random() < args.inline_rate:
            params = {**at(doc, i, col), "context": {"triggerKind": 1}}
            msg_id = client.request("textDocument/inlineCompletion", params, "invoked")
            self.drain.wait(msg_id, MAX_WAIT_S)
        time.sleep(rng.uniform(*args.pause))

    def edit(self, doc: Doc, line: int, start: int, end: int, text: str) -> None:
        client = self.client
        client.change(doc, line, start, end, text)
        self.edits += 1
        if "\n" in text:
            line, col = line + 1, len(text) - text.rindex("\n") - 1
        else:
            col = start + len(text)
        for _ in range(self.ask.get(self.edits, 0)):
            context = (
                {"triggerKind": 2, "triggerCharacter": "."} if text == "." else {"triggerKind": 1}
            )
            params = {**at(doc, line, col), "context": context}
            client.request("textDocument/completion", params)
        if self.edits % self.args.every == 0:
            rss = rss_kb(self.server.proc.pid)
            self.samples.append((self.edits, rss, time.monotonic()))
        if self.edits == self.ends[client.phase]:
            rss, stats = client.settle()
            self.phase_rss.append(rss)
            self.phase_stats.append(stats)
            client.phase += 1

    def shutdown(self) -> tuple[int | None, float]:
        t0 = time.monotonic()
        msg_id = self.client.next_id + 1
        self.client.next_id = msg_id
        self.server.send({"id": msg_id, "method": "shutdown", "params": None})
        self.drain.wait(msg_id, 30)
        self.server.send({"method": "exit", "params": None})
        try:
            code: int | None = self.server.proc.wait(timeout=30)
        except Exception:
            code = None
        return code, time.monotonic() - t0

    # the report

    def report(
        self,
        ready: dict[str, Any],
        final: dict[str, Any],
        load_s: float,
        edit_s: float,
        rss_ready: int,
        exit_code: int | None,
        exit_s: float,
    ) -> int:
        args, sent, answers = self.args, self.client.sent, self.drain.answers
        unanswered = [i for i in sent if i not in answers]
        errors: list[str] = []
        cancelled = 0
        for msg_id, request in sent.items():
            answer = answers.get(msg_id)
            if answer is None or answer.error is None:
                continue
            if request.cancelled and answer.error.get("code") == CANCELLED:
                cancelled += 1
            else:
                errors.append(f"{request.method}: {answer.error}")
        text = self.stderr.read_text(encoding="utf-8", errors="replace")
        tracebacks = text.count("Traceback (most recent call last)")
        never_retrieved = text.count("exception was never retrieved")

        def latencies(method: str, phase: int | None, trigger: str = "") -> list[float]:
            return [
                (answers[i].at - r.at) * 1000.0
                for i, r in sent.items()
                if r.method == method
                and (phase is None or r.phase == phase)
                and (not trigger or r.trigger == trigger)
                and not r.cancelled
                and i in answers
                and answers[i].error is None
            ]

        files = len(self.docs)
        lines = sum(len(d.lines) for d in self.docs)
        print(
            f"workspace: {files} stdlib modules, {lines:,} lines; embedded model "
            f"{Path(ready['model']['path']).name} and index ({ready['index']['files']} files) "
            f"ready in {load_s:.1f} s; seed {args.seed}"
        )
        print(
            f"traffic: {self.edits:,} edits in {self.bursts} bursts, "
            f"{sum(r.method == 'textDocument/completion' for r in sent.values()):,} completion "
            f"requests, {self.opens} didOpen, {self.reopens} close+reopen; editing took "
            f"{edit_s:.0f} s"
        )
        names = ["warm-up"] + [f"phase {k}" for k in range(1, args.phases + 1)]
        print()
        print(
            f"{'':<22}{'completion (client)':>23}{'invoked inline':>24}{'didChange':>16}{'RSS':>8}"
        )
        print(
            f"{'phase':<9}{'edits':>13}{'n':>7}{'p50 ms':>8}{'p95 ms':>8}"
            f"{'n':>8}{'p50 ms':>8}{'p95 ms':>8}{'p50 ms':>8}{'p95 ms':>8}{'MB':>8}"
        )
        first = 1
        for k, name in enumerate(names):
            if k >= len(self.phase_rss):
                break
            comp = latencies("textDocument/completion", k)
            inl = latencies("textDocument/inlineCompletion", k, "invoked")
            change = self.phase_stats[k].get("did_change", {})
            print(
                f"{name:<9}{f'{first:,}-{self.ends[k]:,}':>13}{len(comp):>7}"
                f"{pct(comp, 0.5):>8.1f}{pct(comp, 0.95):>8.1f}{len(inl):>8}"
                f"{pct(inl, 0.5):>8.0f}{pct(inl, 0.95):>8.0f}"
                f"{change.get('p50_ms', float('nan')):>8.2f}"
                f"{change.get('p95_ms', float('nan')):>8.2f}{self.phase_rss[k] / 1024:>8.0f}"
            )
            first = self.ends[k] + 1
        comp = latencies("textDocument/completion", None)
        inl = latencies("textDocument/inlineCompletion", None, "invoked")
        print(
            f"{'all':<9}{f'1-{self.edits:,}':>13}{len(comp):>7}{pct(comp, 0.5):>8.1f}"
            f"{pct(comp, 0.95):>8.1f}{len(inl):>8}{pct(inl, 0.5):>8.0f}{pct(inl, 0.95):>8.0f}"
        )
        print(
            "didChange: the server's handler time, the last 2,048 edits before the phase's end; "
            "RSS: after the phase, settled"
        )
        print()
        auto = [r for r in sent.values() if r.trigger == "automatic"]
        auto_lat = latencies("textDocument/inlineCompletion", None, "automatic")
        print(
            f"automatic inline: {len(auto)} sent, {sum(r.cancelled for r in auto)} cancelled by "
            f"the next keystroke ({cancelled} answered RequestCancelled), {len(auto_lat)} answered "
            f"first: p50 {pct(auto_lat, 0.5):.0f} ms, p95 {pct(auto_lat, 0.95):.0f} ms"
        )
        inline = final.get("inline", {})
        model = final.get("model", {})
        print(
            f"server: completion p50 {final['completion']['p50_ms']:.1f} ms, "
            f"p95 {final['completion']['p95_ms']:.1f} ms (handler); inline "
            f"{inline.get('requests')} requests, {inline.get('cancelled')} cancelled, "
            f"{inline.get('suggestions')} suggestions, {inline.get('errors')} errors; "
            f"{model.get('generated_tokens')} tokens generated; errors.count "
            f"{final.get('errors', {}).get('count')}"
        )
        warm_rss = self.phase_rss[0] if self.phase_rss else rss_ready
        end_rss = self.phase_rss[-1] if self.phase_rss else rss_ready
        growth = end_rss / warm_rss - 1.0
        trend = " ".join(f"{rss / 1024:.0f}" for _, rss, _ in self.samples)
        print(
            f"RSS: {rss_ready / 1024:.0f} MB ready, {warm_rss / 1024:.0f} MB after warm-up, "
            f"{end_rss / 1024:.0f} MB at the end: growth {growth * 100:+.1f} % (limit 10 %); "
            f"peak (VmHWM) {self.hwm / 1024:.0f} MB"
        )
        print(f"RSS every {args.every} edits (MB): {trend}")
        print(
            f"unanswered {len(unanswered)}, error answers {len(errors)}, server stderr "
            f"tracebacks {tracebacks}, 'never retrieved' {never_retrieved}, logged errors "
            f"{len(self.drain.log_errors)}, messages shown {len(self.drain.shown)}; "
            f"shutdown+exit: code {exit_code} in {exit_s:.1f} s"
        )
        for line in (errors + self.drain.log_errors + self.drain.shown)[:5]:
            print(f"  {line[:300]}")
        if tracebacks:
            start = text.index("Traceback (most recent call last)")
            print(text[start : start + 2000])
        failed = bool(unanswered or errors or tracebacks or growth >= 0.10)
        print("FAIL" if failed else "PASS")
        return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
