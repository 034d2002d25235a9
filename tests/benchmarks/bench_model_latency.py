"""Model latency here: time to first token and tokens/s, in-process and through the server.

What it measures, on cursor positions in held-out stdlib modules sampled exactly as
``bench_line_completion.py`` samples them (the rest of a line deleted, the cursor at its end):

**(a) in-process**, ``LlamaBackend`` on the server's own prompts (``GhostService._prepare``
through ``bench_line_completion.ServerPath``: stable layout, budget from the GGUF's trained
context, CodeGeeX4 template, LINE mode):

- *suggestion, cold KV*: the whole ghost-text request as the server sends it (``inline.maxTokens``,
  newline stop) after the KV cache was cleared: prefill of the whole prompt + decode;
- *first token, cold KV*: the same prompt with ``max_tokens = 1`` after clearing the cache, i.e.
  prefill + one sampled token; *prefill tok/s* = prompt tokens / that time;
- *decode tok/s*: the same prompt again (all but its last token reused from the cache) with 32
  tokens and no stop string: generated tokens / time;
- *first token, warm KV (2nd keystroke)*: one more character of the line typed at the cursor, the
  new prompt with ``max_tokens = 1``; the stable layout keeps everything before the cursor's line
  end identical, so only the tokens after the edit are evaluated (their count is shown).

**(b) end-to-end** through ``python -m glm_lsp`` over stdio (the LSP client of
``bench_latency.py``), the model configured by ``initializationOptions`` (``model.path``,
``model.threads``; everything else default): per position, a ``didChange`` deletes the rest of
the line and a ``textDocument/inlineCompletion`` request follows at once (request → response
ms); then a ``didChange`` types the next character and a second request follows (*2nd
keystroke*, KV reuse or the type-ahead cache). Edits are reverted afterwards (untimed) and
samples are ``--pause`` apart. Then ``glm-lsp.stats`` is read: the server-side ``inline``
handler percentiles and the model's token counters (it exposes no per-generation timings).

    python tests/benchmarks/bench_model_latency.py \\
        --model glm_lsp/data/models/glm-code-tiny-q8_0.gguf
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from bench_latency import Server, initialize, percentile, utf16  # noqa: E402
from bench_line_completion import (  # noqa: E402
    DEFAULT_MODEL,
    Position,
    ServerPath,
    markdown,
    model_label,
    sample_positions,
)
from bench_ranking import choose_files  # noqa: E402

from glm_lsp.ghost.mode import Mode  # noqa: E402
from glm_lsp.model.backend import Generation, GenerationRequest  # noqa: E402
from glm_lsp.syntax.context import build_context  # noqa: E402


@dataclass
class Series:
    """One measured quantity over the positions."""

    label: str
    unit: str
    values: list[float] = field(default_factory=list)
    note: list[float] = field(default_factory=list)  # e.g. prompt tokens evaluated

    def cells(self) -> list[str]:
        v = self.values
        if not v:
            return [self.label, "0", "-", "-", "-", "-"]
        note = f"{statistics.mean(self.note):.0f}" if self.note else "-"
        return [
            self.label,
            str(len(v)),
            f"{percentile(v, 50):.1f} {self.unit}",
            f"{percentile(v, 95):.1f} {self.unit}",
            f"{statistics.mean(v):.1f} {self.unit}",
            note,
        ]


def typed_one_more(pos: Position) -> tuple[str, int]:
    """The document after the user typed the next character of the target at the cursor."""
    ch = pos.target[0]
    return pos.text[: pos.offset] + ch + pos.text[pos.offset :], pos.offset + 1


def clear_kv(backend: Any) -> None:
    """Forget the KV cache (llama-cpp-python's ``Llama.reset``): the next prompt is cold."""
    llm = getattr(backend, "_llm", None)
    if llm is not None:
        llm.reset()


def in_process(model: Path, positions: list[Position], threads: int | None) -> list[Series]:
    server_path = ServerPath(model, threads=threads)
    backend = server_path.backend
    service = server_path.service
    suggestion = Series("suggestion, cold KV (server request)", "ms")
    ttft_cold = Series("first token, cold KV", "ms")
    prefill = Series("prefill, cold KV", "tok/s")
    decode = Series("decode (32 tokens, no stop)", "tok/s")
    ttft_warm = Series("first token, warm KV (2nd keystroke)", "ms")

    def prepared(text: str, offset: int, path: Path) -> GenerationRequest:
        from glm_lsp.ghost.references import References

        doc = server_path.document(text, path)
        ctx = build_context(doc.spec, text, offset, doc.tree)
        service.references = References(None)
        prep = service._prepare_for(service.primary, doc, offset, ctx, Mode.LINE)
        request: GenerationRequest = prep.request
        return request

    for pos in positions:
        req = prepared(pos.text, pos.offset, pos.path)
        clear_kv(backend)
        gen: Generation = backend.generate(req)
        suggestion.values.append(gen.elapsed_s * 1000.0)
        suggestion.note.append(gen.prompt_tokens_evaluated)
        clear_kv(backend)
        first = backend.generate(replace(req, max_tokens=1))
        ttft_cold.values.append(first.elapsed_s * 1000.0)
        ttft_cold.note.append(first.prompt_tokens_evaluated)
        prefill.values.append(first.prompt_tokens_evaluated / max(first.elapsed_s, 1e-9))
        prefill.note.append(first.prompt_tokens_evaluated)
        long = backend.generate(replace(req, max_tokens=32, stop_strings=()))
        if long.generated_tokens:
            decode.values.append(long.generated_tokens / max(long.elapsed_s, 1e-9))
            decode.note.append(long.generated_tokens)
        text2, offset2 = typed_one_more(pos)
        warm = backend.generate(replace(prepared(text2, offset2, pos.path), max_tokens=1))
        ttft_warm.values.append(warm.elapsed_s * 1000.0)
        ttft_warm.note.append(warm.prompt_tokens_evaluated)
    server_path.close()
    return [suggestion, ttft_cold, prefill, decode, ttft_warm]


@dataclass
class EndToEnd:
    first: Series
    second: Series
    shown: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    load_s: float = 0.0
    state: str = ""


def wait_ready(server: Server, timeout_s: float) -> tuple[str, float]:
    started = time.perf_counter()
    state = "?"
    while time.perf_counter() - started < timeout_s:
        reply = server.request(
            "workspace/executeCommand", {"command": "glm-lsp.stats", "arguments": []}
        )
        state = str(((reply.get("result") or {}).get("model") or {}).get("state", "?"))
        if state in ("ready", "failed", "disabled", "unconfigured", "unavailable"):
            break
        time.sleep(0.2)
    return state, time.perf_counter() - started


def end_to_end(
    model: Path, positions: list[Position], threads: int | None, pause: float
) -> EndToEnd:
    result = EndToEnd(
        Series("inlineCompletion after didChange", "ms"),
        Series("inlineCompletion, 2nd keystroke", "ms"),
    )
    with tempfile.TemporaryDirectory(prefix="glm-lsp-model-bench-") as tmp:
        root = Path(tmp) / "workspace"
        root.mkdir()
        copies = {p: Path(shutil.copy(p, root / p.name)) for p in {pos.path for pos in positions}}
        env = {**os.environ, "GLM_LSP_CACHE_DIR": str(Path(tmp) / "cache")}
        env.pop("GLM_LSP_MODEL", None)
        server = Server([sys.executable, "-m", "glm_lsp"], env=env)
        options: dict[str, Any] = {"model": {"path": str(model)}}
        if threads:
            options["model"]["threads"] = threads
        initialize(server, root, options)
        result.state, result.load_s = wait_ready(server, 300.0)
        opened: dict[Path, int] = {}
        for pos in positions:
            copy = copies[pos.path]
            uri = copy.as_uri()
            original = copy.read_text(encoding="utf-8")
            if copy not in opened:
                server.notify(
                    "textDocument/didOpen",
                    {
                        "textDocument": {
                            "uri": uri,
                            "languageId": "python",
                            "version": 1,
                            "text": original,
                        }
                    },
                )
                opened[copy] = 1
            line = original.split("\n")[pos.line]
            col = utf16(line[: pos.column])
            deleted = line[pos.column :]

            def change(
                start: int,
                end: int,
                text: str,
                copy: Path = copy,
                uri: str = uri,
                row: int = pos.line,
            ) -> None:
                opened[copy] += 1
                server.notify(
                    "textDocument/didChange",
                    {
                        "textDocument": {"uri": uri, "version": opened[copy]},
                        "contentChanges": [
                            {
                                "range": {
                                    "start": {"line": row, "character": start},
                                    "end": {"line": row, "character": end},
                                },
                                "text": text,
                            }
                        ],
                    },
                )

            def ask(character: int, uri: str = uri, row: int = pos.line) -> tuple[float, bool]:
                started = time.perf_counter()
                reply = server.request(
                    "textDocument/inlineCompletion",
                    {
                        "textDocument": {"uri": uri},
                        "position": {"line": row, "character": character},
                        "context": {"triggerKind": 2},
                    },
                )
                ms = (time.perf_counter() - started) * 1000.0
                items = (reply.get("result") or {}).get("items") or []
                return ms, bool(items)

            change(col, col + utf16(deleted), "")
            ms, shown = ask(col)
            result.first.values.append(ms)
            result.shown += shown
            time.sleep(pause)
            change(col, col, deleted[0])
            ms, _ = ask(col + utf16(deleted[0]))
            result.second.values.append(ms)
            change(col, col + utf16(deleted[0]), deleted)  # back to the file's text
            time.sleep(pause)
        reply = server.request(
            "workspace/executeCommand", {"command": "glm-lsp.stats", "arguments": []}
        )
        result.stats = reply.get("result") or {}
        server.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--dir", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--n", type=int, default=30, help="in-process positions")
    parser.add_argument("--lsp-n", type=int, default=30, help="end-to-end positions")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threads", type=int, default=None, help="default: the server's")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between requests")
    parser.add_argument("--no-lsp", action="store_true", help="skip the end-to-end part")
    args = parser.parse_args(argv)
    model = args.model.resolve()
    stdlib = args.dir.resolve()
    heldout = choose_files(stdlib, 10**6, "test", args.seed)
    positions, _ = sample_positions(heldout, max(args.n, args.lsp_n), args.seed)

    cwd = os.getcwd()
    os.chdir(stdlib)  # ###PATH = the file name, as bench_line_completion
    try:
        rows = in_process(model, positions[: args.n], args.threads)
    finally:
        os.chdir(cwd)
    head = ["measure", "n", "p50", "p95", "mean", "mean tokens"]
    print(f"Model latency: {model_label(model)}, {os.cpu_count()} CPUs on this machine\n")
    print("(a) in-process LlamaBackend on the server's prompts (held-out stdlib positions)\n")
    print(markdown([r.cells() for r in rows], head))
    print(
        "\nmean tokens: prompt tokens evaluated (suggestion, first token rows), prompt tokens "
        "(prefill), generated tokens (decode)."
    )
    if args.no_lsp:
        return 0
    e2e = end_to_end(model, positions[: args.lsp_n], args.threads, args.pause)
    print(
        f"\n(b) end-to-end over stdio (python -m glm_lsp, model.path = {model.name}): model "
        f"state {e2e.state!r} after {e2e.load_s:.1f} s; ghost text shown for {e2e.shown} of "
        f"{len(e2e.first.values)} first requests\n"
    )
    print(markdown([e2e.first.cells(), e2e.second.cells()], head))
    inline = e2e.stats.get("inline", {})
    stats_model = e2e.stats.get("model", {})
    print(
        f"\nglm-lsp.stats: inline handler p50 {inline.get('p50_ms', 0):.1f} ms, p95 "
        f"{inline.get('p95_ms', 0):.1f} ms over {inline.get('requests', 0)} requests "
        f"({inline.get('cancelled', 0)} cancelled, {inline.get('typeahead_hits', 0)} type-ahead "
        f"hits); model: {stats_model.get('generations', 0)} generations, "
        f"{stats_model.get('prompt_tokens_evaluated', 0)} prompt tokens evaluated, "
        f"{stats_model.get('prompt_tokens_reused', 0)} reused, "
        f"{stats_model.get('generated_tokens', 0)} generated"
    )
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    sys.stderr.write(f"done in {time.perf_counter() - start:.1f}s\n")
    raise SystemExit(code)
