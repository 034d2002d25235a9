"""One completion request: cursor context → candidates (+ model) → ranked items.

The request path must stay cheap (a dropdown within a few milliseconds on a 3,000-line file),
so the per-document symbol extraction never runs inside a request: it is cached by ``(uri,
version)`` and computed on a background thread, started when the document opens
(:meth:`CompletionEngine.prefetch`, which also reads the modules it imports) and after typing
pauses. A file opened unchanged takes the workspace index's symbols of that very text (no
extraction at all). A request answers from what is ready: the previous version's symbols
(offsets a few characters off, which no feature notices), else, while a document's first
extraction runs, the index's symbols of its file (the text on disk) or none; names typed since
then still appear through the words scanned live around the cursor, and such an answer is marked
incomplete so the editor asks again (``features/completion.py`` first waits a little for that
extraction, off the event loop). Measured in ``tests/benchmarks/bench_first_dropdown.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from glm_lsp.analysis.extract import extract_symbols, forget_text
from glm_lsp.analysis.symbols import FileSymbols
from glm_lsp.completion import candidates as cands
from glm_lsp.completion.history import AcceptHistory
from glm_lsp.completion.lookups import receiver_counts, warm
from glm_lsp.completion.ranking import RankedItem, RankingInputs, rank
from glm_lsp.syntax.context import CursorContext, build_context
from glm_lsp.syntax.languages import LanguageSpec
from glm_lsp.syntax.words import IDENTIFIER

if TYPE_CHECKING:
    from tree_sitter import Tree

    from glm_lsp.analysis.index import WorkspaceIndex
    from glm_lsp.syntax.parse import ParsedDocument

log = logging.getLogger(__name__)

_MAX_EDITS = 16
_MAX_DOCS = 64
_QUIET_S = 0.08
"""Delay before a background re-extraction starts: typing bursts reuse the previous symbols."""
_MAX_PREFETCHED_IMPORTS = 64


@dataclass
class CompletionResult:
    context: CursorContext
    items: list[RankedItem]
    is_incomplete: bool
    context_keys: tuple[str, ...] = ()
    """Accept-history contexts of this request (see history.py), echoed back on accept."""
    receiver_type: str | None = None
    expected_type: str | None = None
    elapsed_ms: float = 0.0
    failures: list[str] = field(default_factory=list)


@dataclass
class Gathered:
    """What :meth:`CompletionEngine.gather` found; ``found`` is ``None`` where nothing is
    offered (strings, comments, a failure)."""

    context: CursorContext
    started: float
    found: cands.CandidateSet | None = None
    keys: tuple[str, ...] = ()
    inputs: RankingInputs | None = None
    failures: list[str] = field(default_factory=list)
    partial: bool = False
    """The document's own symbols were not ready: the answer is marked incomplete."""


@dataclass(frozen=True)
class DocumentSymbols:
    """What a request knows of its document (see the module docstring)."""

    file: FileSymbols
    fresh: bool
    """Extracted from the current text (else an earlier version's, or a stand-in)."""
    complete: bool = True
    """False for a stand-in while the document's first extraction runs."""


@dataclass
class _Cached:
    version: int
    symbols: FileSymbols


class CompletionEngine:
    """Static completion for open documents; thread-safe, never raises from ``complete``."""

    def __init__(
        self,
        index: WorkspaceIndex,
        history: AcceptHistory | None = None,
        background: bool = True,
    ) -> None:
        self.index = index
        self.history = history if history is not None else AcceptHistory()
        self._background = background
        self._lock = threading.Lock()
        self._symbols: dict[str, _Cached] = {}
        self._pending: set[str] = set()
        self._jobs: dict[str, object] = {}
        """uri → the token of its latest background job; ``forget`` drops it, so a job that
        finishes after its document closed stores nothing (it once re-filled ``_symbols``)."""
        self._edits: dict[str, deque[int]] = {}
        self._executor: ThreadPoolExecutor | None = None
        if background:
            # Its thread starts now: started by the first request's submit, it waited for the
            # GIL behind a big file's parse (170 ms inside the request, measured).
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="glm-lsp-symbols")
            self._executor.submit(lambda: None)

    # --- public API -----------------------------------------------------------------------------

    def complete(
        self,
        doc: ParsedDocument,
        offset: int,
        max_items: int = 100,
        model_candidates: Sequence[cands.Candidate] = (),
    ) -> CompletionResult:
        """Both steps at once, for callers with nothing to wait for between them."""
        return self.rank(self.gather(doc, offset), max_items, model_candidates)

    def gather(self, doc: ParsedDocument, offset: int) -> Gathered:
        """Step one: cursor context, static candidates and ranking inputs (computed once per
        request; the server may wait for model items between this and :meth:`rank`)."""
        start = time.perf_counter()
        ctx = build_context(doc.spec, doc.text, offset, doc.tree)  # never raises
        gathered = Gathered(ctx, started=start)
        if ctx.in_string or ctx.in_comment:
            return gathered
        try:
            self._gather(doc, gathered)
        except Exception as exc:  # a request always gets a well-formed answer
            log.exception("completion failed")
            gathered.found = None
            gathered.failures.append(str(exc))
        return gathered

    def rank(
        self,
        gathered: Gathered,
        max_items: int = 100,
        model_candidates: Sequence[cands.Candidate] = (),
    ) -> CompletionResult:
        """Step two: rank the static candidates merged with the model's."""
        ctx, found, inputs = gathered.context, gathered.found, gathered.inputs
        result = CompletionResult(ctx, [], False, failures=list(gathered.failures))
        if found is not None and inputs is not None:
            try:
                merged = cands.dedupe([*found.candidates, *model_candidates])
                ranked = rank(merged, ctx, inputs)
                result = CompletionResult(
                    context=ctx,
                    items=ranked[:max_items],
                    is_incomplete=len(ranked) > max_items,
                    context_keys=gathered.keys,
                    receiver_type=found.receiver_type,
                    expected_type=found.expected_type,
                    failures=list(found.failures),
                )
            except Exception as exc:
                log.exception("ranking failed")
                result.failures.append(str(exc))
        if gathered.partial:
            result.is_incomplete = True
        result.elapsed_ms = (time.perf_counter() - gathered.started) * 1000.0
        return result

    def accept(self, payload: dict[str, Any]) -> None:
        """Record an accepted item: ``{"name": str, "contexts": [context keys]}``."""
        name = payload.get("name") or payload.get("label")
        keys = payload.get("contexts") or payload.get("context_keys") or []
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(name, str) or not isinstance(keys, list):
            log.warning("ignoring malformed accept payload: %r", payload)
            return
        for key in keys:
            if isinstance(key, str):
                self.history.record(key, name)

    def note_edit(self, uri: str, offset: int) -> None:
        with self._lock:
            edits = self._edits.setdefault(uri, deque(maxlen=_MAX_EDITS))
            if edits and abs(edits[0] - offset) < 8:
                edits[0] = offset  # typing along: one edit site, not sixteen
            else:
                edits.appendleft(offset)

    def forget(self, uri: str, path: str | None = None) -> None:
        """Drop what is cached for a closed document, and the result of a background job
        still running for it."""
        with self._lock:
            self._symbols.pop(uri, None)
            self._edits.pop(uri, None)
            self._jobs.pop(uri, None)
            self._pending.discard(uri)
        forget_text(path or uri)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # --- request path ---------------------------------------------------------------------------

    def _gather(self, doc: ParsedDocument, gathered: Gathered) -> None:
        ctx = gathered.context
        known = self.symbols_for(doc)
        file = known.file
        gathered.partial = not known.complete
        found = cands.collect(ctx, file, self.index, doc.path, fresh=known.fresh)
        keys = context_keys(ctx, found.receiver_keys, found.expected_type)
        with self._lock:
            edits = tuple(self._edits.get(doc.uri, ()))
        gathered.found = found
        gathered.keys = keys
        gathered.inputs = RankingInputs(
            file_counts=file.identifier_counts,
            workspace_count=self._workspace_count,
            member_counts=found.member_counts,
            history=self._history_boosts(keys),
            recent_edits=edits,
            expected_type=found.expected_type,
            receiver_counts=receiver_counts(file),
        )

    def _workspace_count(self, name: str) -> int:
        try:
            return self.index.identifier_count(name)
        except Exception:
            return 0

    def _history_boosts(self, keys: Sequence[str]) -> dict[str, float]:
        boosts: dict[str, float] = {}
        for key in keys:
            for name, boost in self.history.boosts(key).items():
                boosts[name] = max(boosts.get(name, 0.0), boost)
        return boosts

    # --- per-document symbols -------------------------------------------------------------------

    def prefetch(self, doc: ParsedDocument) -> None:
        """Extract ``doc`` now, off the caller's thread (an opened document: the first request
        finds its symbols, and the modules it imports, ready)."""
        if not self._background:
            return
        with self._lock:
            cached = self._symbols.get(doc.uri)
        if cached is None or cached.version < doc.version:
            indexed = None if cached is not None else self._indexed_exactly(doc)
            if indexed is not None:  # opened unchanged: the index extracted this very text
                self._store(doc.uri, doc.version, indexed)
            self._refresh_later(doc, quiet=0.0, imports=True, extract=indexed is None)

    def symbols_for(self, doc: ParsedDocument) -> DocumentSymbols:
        """Symbols of ``doc``: of its current version when ready, else what is (see the module
        docstring); a background extraction is started when none is running."""
        with self._lock:
            cached = self._symbols.get(doc.uri)
        if cached is not None and cached.version == doc.version:
            return DocumentSymbols(cached.symbols, True)
        if not self._background:
            symbols = _extract(doc.spec, doc.text, doc.tree, doc.path or doc.uri)
            self._store(doc.uri, doc.version, symbols)
            return DocumentSymbols(symbols, True)
        if cached is not None:
            self._refresh_later(doc)
            return DocumentSymbols(cached.symbols, False)
        indexed = self._indexed_exactly(doc)
        if indexed is not None:
            self._store(doc.uri, doc.version, indexed)
            self._refresh_later(doc, quiet=0.0, imports=True, extract=False)
            return DocumentSymbols(indexed, True)
        self._refresh_later(doc, quiet=0.0, imports=True)
        return DocumentSymbols(self._stand_in(doc), False, complete=False)

    def first_pending(self, uri: str) -> bool:
        """The document has no symbols yet and its first extraction is running (the request
        may wait a little for it: features/completion.py)."""
        with self._lock:
            return uri not in self._symbols and uri in self._pending

    def _indexed_exactly(self, doc: ParsedDocument) -> FileSymbols | None:
        if not doc.path:
            return None
        try:
            return self.index.current(doc.path, doc.text, doc.language_id)
        except Exception:
            log.debug("index lookup failed for %s", doc.path, exc_info=True)
            return None

    def _stand_in(self, doc: ParsedDocument) -> FileSymbols:
        """The index's symbols of the document's file (its text on disk, or the last one the
        index saw), else none: answered while the first extraction runs."""
        indexed = None
        if doc.path:
            try:
                indexed = self.index.get(doc.path)
            except Exception:
                log.debug("index lookup failed for %s", doc.path, exc_info=True)
        language = doc.spec.name if doc.spec else None
        if indexed is not None and indexed.language == language:
            return indexed
        return FileSymbols(path=doc.path or doc.uri, language=language)

    def _store(self, uri: str, version: int, symbols: FileSymbols) -> None:
        with self._lock:
            old = self._symbols.get(uri)
            if old is not None and old.version > version:
                return
            self._symbols[uri] = _Cached(version, symbols)
            while len(self._symbols) > _MAX_DOCS:
                self._symbols.pop(next(iter(self._symbols)))

    def _refresh_later(
        self,
        doc: ParsedDocument,
        quiet: float = _QUIET_S,
        imports: bool = False,
        extract: bool = True,
    ) -> None:
        with self._lock:
            if doc.uri in self._pending:
                return
            self._pending.add(doc.uri)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="glm-lsp-symbols")
            token = self._jobs[doc.uri] = object()
        # The document's tree is edited in place by the next keystroke: extract from a copy.
        tree = doc.tree.copy() if doc.tree is not None else None
        spec, text, version, uri, path = doc.spec, doc.text, doc.version, doc.uri, doc.path

        def job() -> None:
            try:
                # Typing: let the request that triggered us (and the next keystroke's) finish
                # first: the extraction holds the GIL for milliseconds, the dropdown has no such
                # budget. A document just opened has no symbols to answer with: at once.
                if quiet > 0:
                    time.sleep(quiet)
                if not self._current_job(uri, token):
                    return
                if extract:
                    symbols = _extract(spec, text, tree, path or uri)
                    if not self._current_job(uri, token):
                        forget_text(path or uri)  # closed meanwhile: keep nothing of it
                        return
                    self._store(uri, version, symbols)
                else:  # adopted from the index: its tables, then its imports
                    with self._lock:
                        cached = self._symbols.get(uri)
                    if cached is None:
                        return
                    symbols = cached.symbols
                    warm(symbols)
                if imports and spec is not None:
                    self._read_imports(symbols, spec.name, path)
            except Exception:
                log.exception("background symbol extraction failed for %s", uri)
            finally:
                with self._lock:
                    if self._jobs.get(uri) is token:
                        del self._jobs[uri]
                        self._pending.discard(uri)

        self._executor.submit(job)

    def _current_job(self, uri: str, token: object) -> bool:
        with self._lock:
            return self._jobs.get(uri) is token

    def _read_imports(self, file: FileSymbols, language: str, path: str | None) -> None:
        """Resolve and extract the modules ``file`` imports (``os.`` must not parse ``os.py``
        inside the request); each is read once and cached by the index."""
        seen: set[str] = set()
        for target in list(file.imports.values())[:_MAX_PREFETCHED_IMPORTS]:
            for dotted in (target, target.rpartition(".")[0]):
                if dotted and dotted not in seen:
                    seen.add(dotted)
                    try:
                        self.index.module_symbols(dotted, language, path)
                    except Exception:
                        log.debug("could not read module %s", dotted, exc_info=True)


def context_keys(
    ctx: CursorContext, receiver_keys: Sequence[str], expected_type: str | None = None
) -> tuple[str, ...]:
    """Where an accept counts (history.py): receiver, expected type, else language + scope."""
    if ctx.receiver is not None:
        return tuple(f"member:{key}" for key in receiver_keys)
    keys: list[str] = []
    if expected_type:
        keys.append(f"expected:{expected_type}")
    language = ctx.language.name if ctx.language is not None else "text"
    scope = ctx.scopes[0].kind if ctx.scopes else "module"
    keys.append(f"scope:{language}:{scope}")
    return tuple(keys)


def accept_payload(result: CompletionResult, item: RankedItem) -> dict[str, Any]:
    """Argument of the ``glm-lsp.accepted`` command attached to ``item``."""
    return {
        "name": item.candidate.name,
        "source": item.candidate.source,
        "contexts": list(result.context_keys),
    }


def _extract(spec: LanguageSpec | None, text: str, tree: Tree | None, path: str) -> FileSymbols:
    try:
        symbols = extract_symbols(spec, text, tree, path)
        warm(symbols)
        return symbols
    except Exception:  # the contract says it never raises; a request must not depend on it
        log.exception("symbol extraction failed for %s", path)
    counts: dict[str, int] = {}
    for m in IDENTIFIER.finditer(text):
        counts[m.group()] = counts.get(m.group(), 0) + 1
    return FileSymbols(path=path, language=spec.name if spec else None, identifier_counts=counts)
