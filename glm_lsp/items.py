"""Ranked completion results → LSP completion items, and their lazy documentation.

Positions leave the engine as ``str`` offsets and are converted back to the client's units with
pygls' position codec, so whatever ``positionEncoding`` was negotiated, the ``textEdit`` range
covers exactly the typed prefix and the rest of the identifier under the cursor.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from typing import Any

from lsprotocol import types as lsp
from pygls.workspace import TextDocument

from glm_lsp.completion.candidates import Candidate
from glm_lsp.completion.engine import CompletionResult, accept_payload
from glm_lsp.documents import Line, client_position

ACCEPT_COMMAND = "glm-lsp.accepted"

_KINDS: dict[str, lsp.CompletionItemKind] = {
    "function": lsp.CompletionItemKind.Function,
    "method": lsp.CompletionItemKind.Method,
    "class": lsp.CompletionItemKind.Class,
    "field": lsp.CompletionItemKind.Field,
    "variable": lsp.CompletionItemKind.Variable,
    "parameter": lsp.CompletionItemKind.Variable,
    "module": lsp.CompletionItemKind.Module,
    "constant": lsp.CompletionItemKind.Constant,
    "property": lsp.CompletionItemKind.Property,
    "interface": lsp.CompletionItemKind.Interface,
    "enum": lsp.CompletionItemKind.Enum,
    "enum_member": lsp.CompletionItemKind.EnumMember,
    "type": lsp.CompletionItemKind.TypeParameter,
    "keyword": lsp.CompletionItemKind.Keyword,
    "struct": lsp.CompletionItemKind.Struct,
    "snippet": lsp.CompletionItemKind.Snippet,
    "word": lsp.CompletionItemKind.Text,
    "text": lsp.CompletionItemKind.Text,
}


def item_kind(kind: str, source: str = "") -> lsp.CompletionItemKind:
    """LSP kind for our symbol kinds (unknown kinds are plain text)."""
    if source == "keyword-argument":
        return lsp.CompletionItemKind.Variable
    return _KINDS.get(kind, lsp.CompletionItemKind.Text)


class ResolveCache:
    """Candidates of recent lists by id, so ``completionItem/resolve`` can find its symbol.

    Only an id travels in ``item.data``: documentation is rendered on demand and nothing large
    crosses the wire for items the user never highlights.
    """

    def __init__(self, capacity: int = 2000) -> None:
        self._items: OrderedDict[str, Candidate] = OrderedDict()
        self._ids = itertools.count(1)
        self._capacity = capacity
        self._lock = threading.Lock()

    def add(self, cand: Candidate) -> str:
        with self._lock:
            key = str(next(self._ids))
            self._items[key] = cand
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
            return key

    def get(self, key: Any) -> Candidate | None:
        if not isinstance(key, str):
            return None
        with self._lock:
            return self._items.get(key)


def completion_list(
    result: CompletionResult,
    doc: TextDocument,
    line: Line,
    cache: ResolveCache,
    *,
    snippets: bool = False,
    language: str | None = None,
) -> dict[str, Any]:
    """The LSP ``CompletionList`` for ``result`` in its JSON form; ``sortText`` keeps our order.

    Built as plain JSON data rather than lsprotocol objects: converting a hundred items with
    cattrs cost more than ranking them (about 7 ms vs 2 ms, measured with
    ``tests/benchmarks/bench_latency.py``), and this is the hottest path of the server.
    """
    ctx = result.context
    start = client_position(doc, line, ctx.replace_start)
    end = client_position(doc, line, max(ctx.word_end, ctx.offset))
    edit_range = {
        "start": {"line": start.line, "character": start.character},
        "end": {"line": end.line, "character": end.character},
    }
    items: list[dict[str, Any]] = []
    for ranked in result.items:
        cand = ranked.candidate
        text = cand.insert_text or cand.name
        item: dict[str, Any] = {
            "label": cand.name,
            "kind": item_kind(cand.kind, cand.source).value,
            "sortText": ranked.sort_text,
            "filterText": cand.name,
            "textEdit": {"range": edit_range, "newText": text},
            "command": {
                "title": "",
                "command": ACCEPT_COMMAND,
                "arguments": [accept_payload(result, ranked)],
            },
            "data": {"id": cache.add(cand), "language": language},
        }
        item_detail = detail(cand)
        if item_detail:
            item["detail"] = item_detail
        extra = label_details(cand)
        if extra is not None:
            item["labelDetails"] = {
                k: v
                for k, v in (("detail", extra.detail), ("description", extra.description))
                if v is not None
            }
        if snippets and ("$0" in text or "${" in text):
            item["insertTextFormat"] = lsp.InsertTextFormat.Snippet.value
        items.append(item)
    return {"isIncomplete": result.is_incomplete, "items": items}


def detail(cand: Candidate) -> str | None:
    """Type for values, signature for callables: what the dropdown's right column shows."""
    sym = cand.symbol
    if cand.detail:
        return cand.detail
    if sym is not None and sym.signature:
        return f"{cand.name}{sym.signature}"
    return cand.type or (sym.type if sym is not None else None)


def label_details(cand: Candidate) -> lsp.CompletionItemLabelDetails | None:
    sym = cand.symbol
    signature = sym.signature if sym is not None and sym.signature else None
    description = cand.type or (sym.type if sym is not None else None)
    if description is None and cand.source in ("builtin", "keyword", "model", "word"):
        description = cand.source
    if signature is None and description is None:
        return None
    return lsp.CompletionItemLabelDetails(detail=signature, description=description)


def documentation(
    cand: Candidate, language: str | None = None, *, markdown: bool = True
) -> lsp.MarkupContent | None:
    """The signature (a code block in markdown), then the docstring, then where it comes from."""
    sym = cand.symbol
    parts: list[str] = []
    head = _signature_line(cand)
    if head:
        parts.append(f"```{language or ''}\n{head}\n```" if markdown else head)
    if sym is not None and sym.doc:
        parts.append(sym.doc.strip())
    origin = sym.origin if sym is not None else None
    where = ", ".join(p for p in (cand.source, origin) if p)
    if where:
        parts.append(f"*{where}*" if markdown else f"({where})")
    if not parts:
        return None
    kind = lsp.MarkupKind.Markdown if markdown else lsp.MarkupKind.PlainText
    return lsp.MarkupContent(kind=kind, value="\n\n".join(parts))


def _signature_line(cand: Candidate) -> str | None:
    sym = cand.symbol
    if sym is not None and sym.signature:
        prefix = f"{sym.container}." if sym.container else ""
        return f"{prefix}{cand.name}{sym.signature}"
    typ = cand.type or (sym.type if sym is not None else None)
    if typ:
        return f"{cand.name}: {typ}"
    return None


def resolve(
    item: lsp.CompletionItem, cache: ResolveCache, *, markdown: bool = True
) -> lsp.CompletionItem:
    """Fill ``documentation`` (and ``detail`` if missing) for an item we produced."""
    data = item.data
    key = data.get("id") if isinstance(data, dict) else None
    cand = cache.get(key)
    if cand is None:
        return item
    language = (data.get("language") if isinstance(data, dict) else None) or None
    lang = language if isinstance(language, str) else None
    item.documentation = documentation(cand, lang, markdown=markdown)
    if item.detail is None:
        item.detail = detail(cand)
    return item


def _completion_item_caps(
    caps: lsp.ClientCapabilities,
) -> lsp.ClientCompletionItemOptions | None:
    doc = caps.text_document
    completion = doc.completion if doc is not None else None
    return completion.completion_item if completion is not None else None


def snippet_support(caps: lsp.ClientCapabilities) -> bool:
    item = _completion_item_caps(caps)
    return bool(item is not None and item.snippet_support)


def markdown_support(caps: lsp.ClientCapabilities) -> bool:
    """Markdown documentation only for clients that list it (plain text otherwise)."""
    item = _completion_item_caps(caps)
    formats = item.documentation_format if item is not None else None
    return bool(formats) and lsp.MarkupKind.Markdown in (formats or [])
