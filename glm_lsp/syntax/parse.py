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
from dataclasses import dataclass

from tree_sitter import Parser, Point, Tree

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
    """Parse ``data`` (incrementally from ``old``). A parse from scratch is first run with a
    time budget (default :data:`PARSE_BUDGET_S`; :class:`ParseTooSlow` past it), then again
    from the bytes: only a tree parsed from bytes keeps its source, and ``Node.text`` on the
    other kind calls back into Python for every node (200x slower in extraction, measured).
    The second parse costs what the first did on real code (~20 ms for 3,000 lines), once per
    opened document; incremental parses after an edit go straight to the bytes."""
    parser = _thread_parser(spec)  # parsers are not thread-safe: one per thread and language
    if old is not None:
        tree = parser.parse(data, old)
    else:
        _probe(parser, spec, data, PARSE_BUDGET_S if budget_s is None else budget_s)
        tree = parser.parse(data)
    if tree is None:  # only without a language
        raise RuntimeError(f"tree-sitter returned no tree for {spec.name}")
    return tree


def _probe(parser: Parser, spec: LanguageSpec, data: bytes, budget_s: float) -> None:
    """Parse once under a deadline (tree-sitter only offers one to callback-fed parses)."""
    deadline = time.monotonic() + budget_s

    def read(offset: int, _point: Point) -> bytes:
        return data[offset : offset + _CHUNK]

    def too_slow(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        parser.parse(read, progress_callback=too_slow)
    except ValueError as exc:  # what tree-sitter raises when the progress callback stops it
        # A halted parser keeps its half-built stack to *resume* on its next parse, whatever
        # text that is: each slow document added ~7 MB per 300 kB to this thread's parser
        # (measured), and the next document's parse continued the old one's.
        parser.reset()
        if time.monotonic() > deadline:
            raise ParseTooSlow(f"{spec.name}: {len(data)} bytes took over {budget_s} s") from exc
        raise


@dataclass
class _State:
    doc: ParsedDocument
    data: bytes  # encoded text of the current version
    parsed_data: bytes | None  # encoded text the tree (if any) was parsed from
    tree: Tree | None
    too_slow_at: int = 0
    """Size (bytes) at which a parse ran out of time; no parse is tried again until the
    document is well below it."""


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
    ) -> None:
        self.incremental = incremental
        self.lazy = lazy
        self.max_bytes = max_bytes
        self._docs: dict[str, _State] = {}
        self._lock = threading.Lock()

    def update(
        self,
        uri: str,
        text: str,
        version: int,
        language_id: str | None = None,
        path: str | None = None,
    ) -> ParsedDocument:
        """Record a new version; parse it now unless lazy (then ``tree`` is ``None`` until
        :meth:`get`). ``language_id``/``path`` default to those of the previous version."""
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
            self._docs[uri] = state
            if not self.lazy:
                doc.tree = self._ensure_tree(state)
            return doc

    def get(self, uri: str) -> ParsedDocument | None:
        with self._lock:
            state = self._docs.get(uri)
            if state is None:
                return None
            state.doc.tree = self._ensure_tree(state)
            return state.doc

    def close(self, uri: str) -> None:
        with self._lock:
            self._docs.pop(uri, None)

    def uris(self) -> list[str]:
        with self._lock:
            return list(self._docs)

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
