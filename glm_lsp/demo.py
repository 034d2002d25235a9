"""``glm-lsp demo``: the real server, over the real protocol, on the sample workspace.

It starts ``python -m glm_lsp --stdio`` as a subprocess, initializes it on a temporary copy of
the sample workspace (package data ``glm_lsp/data/sample_workspace``), waits for the index,
then "types" a line at a few interesting places (after ``self.``, in an annotated assignment,
in a call argument, after a Go and a TypeScript receiver), asks for completions there and prints
the ranked items with the features that put them there (the ``glm-lsp.explain`` command).
:func:`show_inline` is where ghost text from the model is shown.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from glm_lsp import __version__
from glm_lsp.model.catalog import data_path

INDEX_TIMEOUT_S = 60.0
MODEL_TIMEOUT_S = 60.0
SHOW_EMPTY_GHOST = True


@dataclass(frozen=True)
class Scenario:
    """Type ``text`` on a new line after the line containing ``after``, then complete."""

    title: str
    file: str
    language: str
    after: str
    text: str


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "members of self, ranked by how this class uses them",
        "inventory/service.py",
        "python",
        "def order_value(self, lines: dict[str, int]) -> int:",
        "        stock = self.",
    ),
    Scenario(
        "annotated assignment: an int is expected",
        "inventory/service.py",
        "python",
        "        total = 0",
        "        budget: int = ",
    ),
    Scenario(
        "call argument: restock(item: Item, ...) wants an Item",
        "inventory/service.py",
        "python",
        '        quantity = self.config.get("reorder_quantity")',
        "        self.warehouse.restock(",
    ),
    Scenario(
        "one letter typed: workspace names beat builtins",
        "inventory/report.py",
        "python",
        "    free = warehouse.free_capacity()",
        "    print(w",
    ),
    Scenario(
        "Go: fields and methods of *Warehouse",
        "stock/stock.go",
        "go",
        "func (w *Warehouse) Describe() string {",
        "\tfree := w.",
    ),
    Scenario(
        "TypeScript: members of Cart",
        "web/cart.ts",
        "typescript",
        "  const total = cart.totalCents();",
        "  const count = cart.",
    ),
)


def sample_workspace() -> Path:
    """The sample workspace shipped with glm-lsp (package data, read-only where installed)."""
    return data_path("sample_workspace")


def run_demo(workspace: Path | None = None, items: int = 6, verbose: int = 0) -> int:
    """Entry point of ``glm-lsp demo``; returns the process exit code.

    Without ``workspace`` the demo runs on a temporary copy of the shipped sample: the
    installed package stays untouched, and a copy outside site-packages is indexed like any
    user project.
    """
    with tempfile.TemporaryDirectory(prefix="glm-lsp-sample-") as scratch:
        if workspace is None:
            source = sample_workspace()
            if not source.is_dir():
                print(
                    f"glm-lsp demo: the sample workspace is missing ({source}): reinstall glm-lsp",
                    file=sys.stderr,
                )
                return 2
            root = Path(scratch) / "sample_workspace"
            shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            root = workspace.resolve()
        if not root.is_dir():
            print(f"glm-lsp demo: workspace not found: {root}", file=sys.stderr)
            return 2
        try:
            return asyncio.run(_demo(root, items, verbose))
        except TimeoutError:
            print("glm-lsp demo: the server did not answer in time", file=sys.stderr)
            return 1


class ProgressWatch:
    """Follows the server's work-done progress: which token is the index, which the model."""

    def __init__(self) -> None:
        self.titles: dict[str, str] = {}
        self.index_done = asyncio.Event()
        self.model_done = asyncio.Event()

    def on_progress(self, params: lsp.ProgressParams) -> None:
        value: Any = params.value
        if not isinstance(value, dict):
            return
        token = str(params.token)
        if value.get("kind") == "begin":
            self.titles[token] = str(value.get("title", ""))
            return
        if value.get("kind") != "end":
            return
        title = self.titles.get(token, "")
        message = value.get("message") or ""
        if "index" in title:
            print(f"[server] indexing done: {message}")
            self.index_done.set()
        elif "model" in title:
            print(f"[server] model: {message}")
            self.model_done.set()


def model_options() -> dict[str, Any]:
    """Ghost text from ``$GLM_LSP_MODEL`` when set, else from the embedded default model.

    The embedded default is not passed as ``model.path``: the server is started with no model
    settings and chooses it itself, exactly as a fresh install does.
    """
    if os.environ.get("GLM_LSP_MODEL"):
        print(f"[demo] model: {os.environ['GLM_LSP_MODEL']} (from GLM_LSP_MODEL)")
        return {}
    from glm_lsp.model.catalog import models_dir
    from glm_lsp.model.loading import embedded_default

    entry = embedded_default()
    if entry is None:
        print("[demo] no embedded default model in the catalog: static completion only")
        return {"model": {"backend": "none"}}
    path = entry.path_in(models_dir())
    if not path.is_file():
        print(
            f"[demo] the embedded default model {entry.name} is missing ({path}): static "
            "completion only; reinstall glm-lsp or set GLM_LSP_MODEL to a GGUF file"
        )
        return {"model": {"backend": "none"}}
    print(
        f"[demo] ghost text comes from {entry.name} ({path.name}), the embedded default: a\n"
        "       6.5M-parameter model trained on Python, here, in 88 CPU minutes. It shows the\n"
        "       pipeline end to end; its suggestions are weak (it does not beat a trivial\n"
        "       baseline on line completion). Set GLM_LSP_MODEL to a real GLM GGUF\n"
        "       (codegeex4-all-9b) for useful ghost text. The demo turns the confidence gate\n"
        "       off (inline.minConfidence 0) to show what the model writes: at its `auto`\n"
        "       threshold an editor shows this model's ghost text at about 5% of positions."
    )
    return {"model": {"threads": 2}, "inline": {"minConfidence": 0}}


async def _demo(root: Path, items: int, verbose: int) -> int:
    client = LanguageClient("glm-lsp-demo", __version__)
    watch = ProgressWatch()

    def create_progress(params: lsp.WorkDoneProgressCreateParams) -> None:
        return None

    def on_progress(params: lsp.ProgressParams) -> None:
        watch.on_progress(params)

    def on_log(params: lsp.LogMessageParams) -> None:
        if verbose:
            print(f"[server log] {params.message}")

    def on_show(params: lsp.ShowMessageParams) -> None:
        print(f"[server message] {params.message}")

    register(client, lsp.WINDOW_WORK_DONE_PROGRESS_CREATE, create_progress)
    register(client, lsp.PROGRESS, on_progress)
    register(client, lsp.WINDOW_LOG_MESSAGE, on_log)
    register(client, lsp.WINDOW_SHOW_MESSAGE, on_show)

    with tempfile.TemporaryDirectory(prefix="glm-lsp-demo-") as cache:
        env = {**os.environ, "GLM_LSP_CACHE_DIR": cache}
        await client.start_io(sys.executable, "-m", "glm_lsp", "--stdio", env=env)
        try:
            await _session(client, root, items, watch)
        finally:
            await _stop(client)
    return 0


def register(client: LanguageClient, method: str, handler: Callable[..., Any]) -> None:
    """``client.feature(method)(handler)`` (pygls' client decorator is untyped)."""
    untyped: Any = client
    untyped.feature(method)(handler)


async def _session(client: LanguageClient, root: Path, items: int, watch: ProgressWatch) -> None:
    options = model_options()
    result = await asyncio.wait_for(
        client.initialize_async(
            lsp.InitializeParams(
                process_id=os.getpid(),
                root_uri=root.as_uri(),
                workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                capabilities=lsp.ClientCapabilities(
                    window=lsp.WindowClientCapabilities(work_done_progress=True),
                    general=lsp.GeneralClientCapabilities(
                        position_encodings=[lsp.PositionEncodingKind.Utf16]
                    ),
                ),
                initialization_options=options,
            )
        ),
        30,
    )
    info = result.server_info
    print(f"[client] connected to {info.name if info else '?'} {info.version if info else ''}")
    client.initialized(lsp.InitializedParams())
    await asyncio.wait_for(watch.index_done.wait(), INDEX_TIMEOUT_S)
    if options.get("model", {}).get("backend") != "none":
        try:
            await asyncio.wait_for(watch.model_done.wait(), MODEL_TIMEOUT_S)
        except TimeoutError:
            print("[demo] the model is still loading; continuing without ghost text")

    opened: dict[str, tuple[str, int]] = {}
    for scenario in SCENARIOS:
        path = root / scenario.file
        if not path.exists():
            continue
        uri = path.as_uri()
        if uri not in opened:
            text = path.read_text(encoding="utf-8")
            client.text_document_did_open(
                lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, scenario.language, 1, text))
            )
            opened[uri] = (text, 1)
        text, version = opened[uri]
        lines = text.splitlines()
        anchor = next((i for i, line in enumerate(lines) if scenario.after in line), None)
        if anchor is None:
            continue
        await _scenario(client, scenario, uri, anchor + 1, version, items)
        opened[uri] = (text, version + 2)

    stats = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="glm-lsp.stats")
    )
    completion = stats.get("completion", {}) if isinstance(stats, dict) else {}
    index = stats.get("index", {}) if isinstance(stats, dict) else {}
    inline = stats.get("inline", {}) if isinstance(stats, dict) else {}
    model = stats.get("model", {}) if isinstance(stats, dict) else {}
    print(
        f"\n[stats] {completion.get('requests', 0)} completion requests, server-side "
        f"p50 {completion.get('p50_ms', 0):.2f} ms, p95 {completion.get('p95_ms', 0):.2f} ms; "
        f"index {index.get('files', 0)} files, {index.get('symbols', 0)} symbols"
    )
    print(
        f"[stats] model loaded: {model.get('loaded')}; inline {inline.get('requests', 0)} "
        f"requests, {inline.get('suggestions', 0)} suggestions, "
        f"{model.get('generated_tokens', 0)} tokens generated, "
        f"{model.get('prompt_tokens_reused', 0)} prompt tokens reused from the KV cache"
    )


async def _scenario(
    client: LanguageClient, scenario: Scenario, uri: str, line: int, version: int, items: int
) -> None:
    insert = lsp.Range(start=lsp.Position(line, 0), end=lsp.Position(line, 0))
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
            [lsp.TextDocumentContentChangePartial(range=insert, text=scenario.text + "\n")],
        )
    )
    cursor = lsp.Position(line, _utf16_len(scenario.text))
    completion = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), cursor)
    )
    explained = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(
            command="glm-lsp.explain",
            arguments=[uri, {"line": cursor.line, "character": cursor.character}],
        )
    )
    print(f"\n== {scenario.file}:{line + 1}  {scenario.title}")
    print(f"   {line + 1:>4} | {scenario.text.expandtabs(4)}\u2588")
    received = _labels(completion)
    print(f"   server returned {len(received)} items; top {min(items, len(received))}:")
    for row in format_items(explained, items):
        print(f"   {row}")
    await show_inline(client, uri, cursor)
    remove = lsp.Range(start=lsp.Position(line, 0), end=lsp.Position(line + 1, 0))
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=version + 2),
            [lsp.TextDocumentContentChangePartial(range=remove, text="")],
        )
    )


def format_items(explained: Any, limit: int) -> list[str]:
    """One line per item: rank, label, kind/type, score and its three largest contributions."""
    if not isinstance(explained, dict):
        return ["(no explanation available)"]
    weights: dict[str, float] = explained.get("weights", {})
    rows = []
    for rank, item in enumerate(explained.get("items", [])[:limit], 1):
        features: dict[str, float] = item.get("features", {})
        parts = sorted(
            ((name, value * weights.get(name, 0.0)) for name, value in features.items()),
            key=lambda pair: -abs(pair[1]),
        )
        reasons = ", ".join(f"{name} {value:+.2f}" for name, value in parts[:3] if value)
        kind = item.get("kind", "")
        typ = f": {item['type']}" if item.get("type") else ""
        rows.append(
            f"{rank}. {item.get('label', ''):<18} {kind + typ:<22} "
            f"score {item.get('score', 0.0):6.2f}  ({reasons})"
        )
    return rows


async def show_inline(client: LanguageClient, uri: str, position: lsp.Position) -> None:
    """Ghost text at ``position`` when the server has a model (the model path fills this in)."""
    try:
        result = await asyncio.wait_for(
            client.text_document_inline_completion_async(
                lsp.InlineCompletionParams(
                    context=lsp.InlineCompletionContext(
                        trigger_kind=lsp.InlineCompletionTriggerKind.Invoked
                    ),
                    text_document=lsp.TextDocumentIdentifier(uri),
                    position=position,
                )
            ),
            30,
        )
    except TimeoutError:
        print("   ghost text: (timed out)")
        return
    suggestions = _inline_texts(result)
    if suggestions:
        print(f"   ghost text (model): {suggestions[0][:70]!r}")
    elif SHOW_EMPTY_GHOST:
        print("   ghost text (model): none here (post-processing rejected it, or no model)")


def _inline_texts(result: Any) -> list[str]:
    items: Sequence[Any] = []
    if isinstance(result, lsp.InlineCompletionList):
        items = result.items
    elif isinstance(result, list):
        items = result
    texts = []
    for item in items:
        text = getattr(item, "insert_text", None)
        if isinstance(text, str):
            texts.append(text)
    return texts


def _labels(result: Any) -> list[str]:
    if isinstance(result, lsp.CompletionList):
        return [item.label for item in result.items]
    if isinstance(result, list):
        return [item.label for item in result]
    return []


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def _stop(client: LanguageClient) -> None:
    try:
        await asyncio.wait_for(client.shutdown_async(None), 10)
        client.exit(None)
    except Exception as exc:
        print(f"[client] shutdown failed: {exc}", file=sys.stderr)
    try:
        untyped: Any = client
        await asyncio.wait_for(untyped.stop(), 10)
    except TimeoutError:
        server = getattr(client, "_server", None)
        if server is not None and server.returncode is None:
            server.kill()
