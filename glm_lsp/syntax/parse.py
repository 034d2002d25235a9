"""One tree-sitter tree per open document, kept current as the client edits.

The client sends whole-document or ranged changes; the server applies them to its text and hands
us the new text. We recover the single edited span from a common prefix/suffix diff of the old and
new bytes, describe it to tree-sitter with ``Tree.edit`` and reparse with the old tree, which lets
tree-sitter reuse every untouched subtree.

``tests/benchmarks/bench_parse.py`` types statements into stdlib files: per keystroke, the
incremental reparse took a median 0.2-1.2 ms on 500-2,900 lines against 2-38 ms for a full
reparse (equal at ~100 lines). Parsing lazily (only when a tree is asked for) costs the same per
tree and only saves the versions nobody asks about, so eager + incremental is the default and
``DocumentTrees(lazy=True)`` the option. The one slow case left is intrinsic: while a ``(`` is
unclosed, error recovery re-runs over the rest of the file (p95 up to ~50 ms on 3,000 lines,
for a full parse too).

Text is ``str`` and may hold lone surrogates; it becomes bytes through
:func:`glm_lsp.syntax.offsets.encode` only, so byte offsets agree with the tree everywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tree_sitter import Parser, Point, Tree

from glm_lsp.foreground import pause_for_requests
from glm_lsp.syntax.languages import LanguageSpec, spec_for
from glm_lsp.syntax.offsets import encode

log = logging.getLogger(__name__)

PARSE_BUDGET_S = 1.0
"""Longest a parse may hold its thread. Real code parses at several MB/s; random or minified
text full of unbalanced brackets made tree-sitter's error recovery take 47 s for 300 kB of
TypeScript (measured), on the event loop, with trees of hundreds of MB. Such a document gets no
tree (word completion only) until it shrinks well below the size that was too slow."""
_CHUNK = 1 << 16


class ParseTooSlow(RuntimeError):
    """The parse ran past :data:`PARSE_BUDGET_S` and was stopped."""


DEFAULT_MAX_BYTES = 8 * 1024 * 1024
"""Beyond this a document gets no tree (word completion only): parsing a generated 10 MB file
on every keystroke would stall the server for no useful syntax information."""

_STEPS = (4096, 256, 16, 1)

BACKGROUND_PARSE_BYTES = 64 * 1024
"""The server parses a document with no tree to start from (just opened, or its language
changed) on a background thread past this size: the first parse of a 5 MB file held the event
loop for ~1 s, freezing requests for every document. Until it lands, readers get the document
without a tree (and answer from its text)."""


@dataclass
class ParsedDocument:
    uri: str
    path: str | None
    language_id: str | None
    spec: LanguageSpec | None
    text: str
    version: int
    tree: Tree | None


@dataclass(frozen=True)
class TextEdit:
    """A single-span edit in the terms ``Tree.edit`` wants (bytes and (row, byte column))."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


def _common_prefix(a: bytes, b: bytes) -> int:
    limit = min(len(a), len(b))
    i = 0
    # Whole chunks first (memcmp speed), then ever smaller steps inside the first differing one,
    # so no Python-level loop runs over more than a few dozen positions.
    for step in _STEPS:
        while i + step <= limit and a[i : i + step] == b[i : i + step]:
            i += step
    return i


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    n, m = len(a), len(b)
    i = 0
    for step in _STEPS:
        while i + step <= limit and a[n - i - step : n - i] == b[m - i - step : m - i]:
            i += step
    return i


def _point(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return (row, offset - line_start)


def _is_continuation(byte: int) -> bool:
    return byte & 0xC0 == 0x80


def compute_edit(old: bytes, new: bytes) -> TextEdit | None:
    """The one span that turns ``old`` into ``new``; ``None`` when they are equal.

    Boundaries are moved off UTF-8 continuation bytes so an edit never splits a character.
    """
    if old == new:
        return None
    start = _common_prefix(old, new)
    while start > 0 and (
        (start < len(old) and _is_continuation(old[start]))
        or (start < len(new) and _is_continuation(new[start]))
    ):
        start -= 1
    suffix = _common_suffix(old, new, min(len(old), len(new)) - start)
    while suffix > 0 and (
        _is_continuation(old[len(old) - suffix]) or _is_continuation(new[len(new) - suffix])
    ):
        suffix -= 1
    old_end = len(old) - suffix
    new_end = len(new) - suffix
    return TextEdit(
        start_byte=start,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=_point(old, start),
        old_end_point=_point(old, old_end),
        new_end_point=_point(new, new_end),
    )


def apply_edit(tree: Tree, edit: TextEdit) -> None:
    tree.edit(
        start_byte=edit.start_byte,
        old_end_byte=edit.old_end_byte,
        new_end_byte=edit.new_end_byte,
        start_point=Point(*edit.start_point),
        old_end_point=Point(*edit.old_end_point),
        new_end_point=Point(*edit.new_end_point),
    )


_local = threading.local()


def _thread_parser(spec: LanguageSpec) -> Parser:
    parsers: dict[str, Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = {}
        _local.parsers = parsers
    parser = parsers.get(spec.name)
    if parser is None:
        parser = spec.parser()
        parsers[spec.name] = parser
    return parser


def parse_text(spec: LanguageSpec, text: str, old: Tree | None = None) -> Tree:
    """Parse ``text``; ``old`` must already carry the ``Tree.edit`` describing the change."""
    return parse_bytes(spec, encode(text), old)


def parse_bytes(
    spec: LanguageSpec, data: bytes, old: Tree | None = None, budget_s: float | None = None
) -> Tree:
    """Parse ``data`` (incrementally from ``old``).

    A parse from scratch runs fed by a callback, the only kind tree-sitter lets us stop or
    pause: under a budget of this thread's CPU time (default :data:`PARSE_BUDGET_S`;
    :class:`ParseTooSlow` past it), and, off the main thread, handing the GIL over every few
    milliseconds (tree-sitter holds it while it parses: a 1.7 MB parse on a background thread
    froze the event loop for 165 ms, with the hand-over for at most 7.5 ms). Its tree is then
    re-parsed from the bytes, reusing every node (18 ms for 1.7 MB, against 175 ms from
    scratch): only a tree parsed from bytes keeps its source, and ``Node.text`` on the other
    kind calls back into Python for every node (200x slower in extraction, measured).
    Incremental parses after an edit go straight to the bytes."""
    parser = _thread_parser(spec)  # parsers are not thread-safe: one per thread and language
    if old is None:
        old = _probe(parser, spec, data, PARSE_BUDGET_S if budget_s is None else budget_s)
    tree = parser.parse(data, old)
    if tree is None:  # only without a language
        raise RuntimeError(f"tree-sitter returned no tree for {spec.name}")
    return tree


_HAND_OVER_S = 0.002


def _probe(parser: Parser, spec: LanguageSpec, data: bytes, budget_s: float) -> Tree:
    """Parse once from a callback, under a CPU-time budget, yielding the GIL off the main
    thread (see :func:`parse_bytes`)."""
    deadline = time.thread_time() + budget_s
    hand_over = threading.current_thread() is not threading.main_thread()
    last = time.monotonic()

    def read(offset: int, _point: Point) -> bytes:
        return data[offset : offset + _CHUNK]

    def too_slow(_offset: int, _has_error: bool) -> bool:
        nonlocal last
        if hand_over and time.monotonic() - last > _HAND_OVER_S:
            # Let the event loop's thread take the GIL if it waits for it, and wait while it
            # answers a request (foreground.py).
            if not pause_for_requests():
                time.sleep(0)
            last = time.monotonic()
        return time.thread_time() > deadline

    try:
        tree = parser.parse(read, progress_callback=too_slow)
    except ValueError as exc:  # what tree-sitter raises when the progress callback stops it
        # A halted parser keeps its half-built stack to *resume* on its next parse, whatever
        # text that is: each slow document added ~7 MB per 300 kB to this thread's parser
        # (measured), and the next document's parse continued the old one's.
        parser.reset()
        if time.thread_time() > deadline:
            raise ParseTooSlow(f"{spec.name}: {len(data)} bytes took over {budget_s} s") from exc
        raise
    if tree is None:  # only without a language
        raise RuntimeError(f"tree-sitter returned no tree for {spec.name}")
    return tree


@dataclass
class _State:
    doc: ParsedDocument
    data: bytes  # encoded text of the current version
    parsed_data: bytes | None  # encoded text the tree (if any) was parsed from
    tree: Tree | None
    too_slow_at: int = 0
    """Size (bytes) at which a parse ran out of time; no parse is tried again until the
    document is well below it."""
    parsing: bool = False
    """A background parse for this URI is running; its tree will be handed to the newest
    state, which then catches up incrementally."""
    opened: object = field(default_factory=object)
    """Same object from didOpen to didClose (and while the language stays): a queued background
    parse of a document closed or reopened meanwhile is dropped without parsing. They queued
    behind slow parses, each holding its text (33 jobs, ~60 MB, after 600 random messages)."""


class DocumentTrees:
    """Trees of the open documents, keyed by URI; safe to share between threads.

    ``incremental`` reuses the previous tree; ``lazy`` defers parsing to :meth:`get`, so a burst
    of ``didChange`` notifications costs one parse. Both are measured in the parse benchmark.
    """

    def __init__(
        self,
        *,
        incremental: bool = True,
        lazy: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        background_bytes: int | None = None,
        on_parsed: Callable[[str], None] | None = None,
    ) -> None:
        """``background_bytes``: first parses of larger documents run on a background thread
        (see :data:`BACKGROUND_PARSE_BYTES`), and ``on_parsed(uri)`` is called there once the
        tree is in place."""
        self.incremental = incremental
        self.lazy = lazy
        self.max_bytes = max_bytes
        self.background_bytes = background_bytes
        self.on_parsed = on_parsed
        self._docs: dict[str, _State] = {}
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        if background_bytes is not None:  # start the thread now, not inside a didOpen
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="glm-lsp-parse")
            self._executor.submit(lambda: None)

    def update(
        self,
        uri: str,
        text: str,
        version: int,
        language_id: str | None = None,
        path: str | None = None,
    ) -> ParsedDocument:
        """Record a new version; parse it now unless lazy (then ``tree`` is ``None`` until
        :meth:`get`) or it is a big document's first parse (then in the background).
        ``language_id``/``path`` default to those of the previous version."""
        data = encode(text)
        with self._lock:
            prev = self._docs.get(uri)
            if prev is not None:
                language_id = language_id or prev.doc.language_id
                path = path or prev.doc.path
            spec = spec_for(language_id, path)
            doc = ParsedDocument(uri, path, language_id, spec, text, version, None)
            state = _State(doc, data, None, None)
            if prev is not None and prev.doc.spec == spec:
                state.tree, state.parsed_data = prev.tree, prev.parsed_data
                state.too_slow_at = prev.too_slow_at
                state.parsing = prev.parsing
                state.opened = prev.opened
            self._docs[uri] = state
            if self.lazy:
                return doc
            if state.tree is None and self._parse_off_thread(state):
                return doc
            doc.tree = self._ensure_tree(state)
            return doc

    def get(self, uri: str) -> ParsedDocument | None:
        """The newest version, its tree brought up to date (``None`` while a background first
        parse runs: readers use the text alone meanwhile)."""
        with self._lock:
            state = self._docs.get(uri)
            if state is None:
                return None
            if state.parsing and state.tree is None:
                return state.doc
            state.doc.tree = self._ensure_tree(state)
            return state.doc

    def has(self, uri: str) -> bool:
        """Whether ``uri`` is open (without parsing anything)."""
        with self._lock:
            return uri in self._docs

    def get_text(self, uri: str) -> str | None:
        """The newest text of ``uri`` (without parsing anything)."""
        with self._lock:
            state = self._docs.get(uri)
            return state.doc.text if state is not None else None

    def parsing(self, uri: str) -> bool:
        """Whether a background first parse of ``uri`` is running."""
        with self._lock:
            state = self._docs.get(uri)
            return state is not None and state.parsing

    def close(self, uri: str) -> None:
        with self._lock:
            self._docs.pop(uri, None)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def uris(self) -> list[str]:
        with self._lock:
            return list(self._docs)

    def _parse_off_thread(self, state: _State) -> bool:
        """Start (or leave running) a background first parse of ``state``; called with the
        lock held. False when the document is parsed inline (small, or no tree is due)."""
        limit = self.background_bytes
        size = len(state.data)
        spec = state.doc.spec
        if limit is None or spec is None or size <= limit or size > self.max_bytes:
            return False
        if state.too_slow_at and size > state.too_slow_at // 2:
            return False  # no tree is due: _ensure_tree says so without parsing
        if state.parsing:
            return True
        state.parsing = True
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="glm-lsp-parse")
        uri, data, opened = state.doc.uri, state.data, state.opened

        def job() -> None:
            tree: Tree | None = None
            too_slow = False
            with self._lock:
                current = self._docs.get(uri)
                if current is None or current.opened is not opened:
                    return  # closed (or closed and reopened: its own parse is queued)
            try:
                tree = parse_bytes(spec, data)
            except ParseTooSlow as exc:
                log.warning("no syntax tree for %s: %s", uri, exc)
                too_slow = True
            except Exception:  # a grammar crash must not take the document down with it
                log.exception("parse failed for %s", uri)
            with self._lock:
                current = self._docs.get(uri)
                if current is None or current.opened is not opened:
                    return  # closed, or its language changed (a new parse runs for that)
                current.parsing = False
                if too_slow:
                    current.too_slow_at = len(data)
                elif tree is not None and current.tree is None:
                    current.tree, current.parsed_data = tree, data  # get() catches up
                    if current.data is data or current.data == data:
                        current.doc.tree = tree
            if tree is not None and self.on_parsed is not None:
                try:
                    self.on_parsed(uri)
                except Exception:
                    log.exception("after parsing %s", uri)

        try:
            self._executor.submit(job)
        except RuntimeError:  # shut down
            state.parsing = False
            return False
        return True

    def _ensure_tree(self, state: _State) -> Tree | None:
        """Bring ``state.tree`` up to ``state.data``; called with the lock held."""
        spec = state.doc.spec
        too_slow = state.too_slow_at and len(state.data) > state.too_slow_at // 2
        if spec is None or len(state.data) > self.max_bytes or too_slow:
            state.tree, state.parsed_data = None, None
            return None
        if state.tree is not None and state.parsed_data == state.data:
            return state.tree
        old = state.tree if self.incremental else None
        try:
            if old is not None and state.parsed_data is not None:
                edit = compute_edit(state.parsed_data, state.data)
                if edit is not None:
                    # Never edit a tree a previous ParsedDocument still exposes to readers.
                    old = old.copy()
                    apply_edit(old, edit)
            tree = parse_bytes(spec, state.data, old)
        except ParseTooSlow as exc:
            log.warning("no syntax tree for %s: %s", state.doc.uri, exc)
            state.too_slow_at = len(state.data)
            tree = None
        except Exception:  # a grammar crash must not take the document down with it
            log.exception("parse failed for %s", state.doc.uri)
            tree = None
        state.tree = tree
        state.parsed_data = state.data if tree is not None else None
        return tree
