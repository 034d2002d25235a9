"""Symbol extraction: query matches per region, then file-wide merging and a little inference.

The file is cut into regions at top-level nodes (:mod:`glm_lsp.analysis.collect`). A region
whose bytes are unchanged since the previous extraction of the same path is reused, shifted to
its new place, so after a keystroke only the region being typed in is queried again. The
file-wide steps (module-level deduplication, parameters, inference, member counts) always run
over all regions, in the same order as a whole-file pass, so the result is identical to a full
extraction (tests replay typing sessions to check it).
"""

from __future__ import annotations

import logging
import re
import threading
from bisect import bisect_right
from collections import OrderedDict

from tree_sitter import Query, Tree

from glm_lsp.analysis.collect import Collector, ExtractTooSlow
from glm_lsp.analysis.langs import LANGS, LangInfo
from glm_lsp.analysis.queries import analysis_query, keyword_set, word_counts
from glm_lsp.analysis.regions import DefRecord, Region, Span, python_spans, regions_of, shape_of
from glm_lsp.analysis.symbols import FileSymbols, Symbol
from glm_lsp.analysis.typenames import element_type, type_key
from glm_lsp.analysis.types import Inferer
from glm_lsp.syntax.languages import LanguageSpec
from glm_lsp.syntax.offsets import ByteOffsets, encode
from glm_lsp.syntax.parse import ParseTooSlow, parse_bytes

log = logging.getLogger(__name__)

MAX_PARSE_BYTES = 4 * 1024 * 1024
"""Larger texts get word frequencies only: a generated multi-megabyte file has no useful symbols."""

_RECEIVER = re.compile(r"^[\w$.:>-]{1,60}$")
_HEAD_SPLIT = re.compile(r"[.:\->]")
_DOTTED_NAME = re.compile(r"[A-Za-z_][\w.]*$")

_RECENT_SIZE = 8
_RECENT_MAX_CHARS = 1_000_000
_RECENT_BUDGET_CHARS = 2_000_000
"""Each memo holds texts of at most this many characters in all (the newest entry always stays):
counted in entries alone, eight megabyte-sized texts and their tables stayed after their
documents closed (hundreds of MB under random traffic)."""
_recent: OrderedDict[tuple[str | None, str, str], FileSymbols] = OrderedDict()
_recent_lock = threading.Lock()

_REGION_FILES = 8
_regions: OrderedDict[tuple[str, str], tuple[int, dict[object, Region]]] = OrderedDict()
"""(language, path) → (text size, the regions of its latest extraction by their bytes)."""

REUSE_REGIONS = True
"""False disables region reuse: a full extraction every time (tests compare the two)."""


def extract_symbols(
    spec: LanguageSpec | None, text: str, tree: Tree | None, path: str
) -> FileSymbols:
    """Symbols, frequencies and imports of one file; never raises.

    ``tree`` is reused when the syntax layer already parsed ``text``; without a language (or a
    grammar) only identifier frequencies are collected, from the words of the text.

    The latest few results are memoised by (language, path, text): the completion engine and
    the index both extract the document being edited, usually from the very same ``str`` object
    (whose hash Python caches), so the second caller pays a dict lookup instead of a full
    extraction. Results are shared: treat them as read-only.
    """
    key = (spec.name if spec else None, path, text)
    with _recent_lock:
        hit = _recent.get(key)
        if hit is not None:
            _recent.move_to_end(key)
            return hit
    result = _extract(spec, text, tree, path)
    if len(text) > _RECENT_MAX_CHARS:
        return result  # do not pin huge texts in memory
    with _recent_lock:
        _recent[key] = result
        _evict()
    return result


def _evict() -> None:
    """Oldest first, until each memo fits its entry count and the text budget; called with
    ``_recent_lock`` held."""
    while len(_recent) > _RECENT_SIZE or (
        len(_recent) > 1 and sum(len(key[2]) for key in _recent) > _RECENT_BUDGET_CHARS
    ):
        _recent.popitem(last=False)
    while len(_regions) > _REGION_FILES or (
        len(_regions) > 1 and sum(size for size, _ in _regions.values()) > _RECENT_BUDGET_CHARS
    ):
        _regions.popitem(last=False)


def forget_text(path: str) -> None:
    """Drop what the memos keep of ``path`` (its document closed: the next open extracts anew,
    and a closed document must not hold its text and tables)."""
    with _recent_lock:
        for key in [k for k in _recent if k[1] == path]:
            del _recent[key]
        for region_key in [k for k in _regions if k[1] == path]:
            del _regions[region_key]


def _extract(spec: LanguageSpec | None, text: str, tree: Tree | None, path: str) -> FileSymbols:
    language = spec.name if spec else None
    try:
        if spec is None or len(text) > MAX_PARSE_BYTES:
            return FileSymbols(path, language, identifier_counts=word_counts(text))
        query = analysis_query(spec)
        if query is None:
            return FileSymbols(path, language, identifier_counts=word_counts(text))
        data = encode(text)
        # Only documents open in an editor come with a tree; files read by the workspace
        # build must not push their regions out of the small reuse cache.
        remember = tree is not None
        if tree is None:
            tree = parse_bytes(spec, data)  # time-budgeted: ParseTooSlow below
        return _Extractor(spec, text, data, path, remember).run(tree, query)
    except (ParseTooSlow, ExtractTooSlow) as exc:
        log.warning("symbols of %s from its words only: %s", path, exc)
        return FileSymbols(path, language, identifier_counts=word_counts(text))
    except Exception:  # a broken file must still give word frequencies
        log.exception("symbol extraction failed for %s", path)
        return FileSymbols(path, language, identifier_counts=word_counts(text))


class _Extractor:
    def __init__(
        self, spec: LanguageSpec, text: str, data: bytes, path: str, remember: bool
    ) -> None:
        self.remember = remember
        self.spec = spec
        self.info = LANGS.get(spec.name) or LangInfo(frozenset(), frozenset(), {})
        self.text = text
        self.data = data
        self.path = path
        self.offsets = ByteOffsets(text, data)
        self.symbols: list[Symbol] = []

    def run(self, tree: Tree, query: Query) -> FileSymbols:
        regions = self._regions(tree, query)
        symbols = self.symbols
        seen: dict[tuple[str, str | None, int, str], int] = {}
        params: dict[int, list[tuple[int, str, str | None]]] = {}
        func_params: list[tuple[int, int]] = []
        pending: list[tuple[int, str, str, str | None]] = []
        class_ranges: list[tuple[int, int, str]] = []
        accesses: list[tuple[str, int, str | None, str]] = []
        imports: dict[str, str] = {}
        words: dict[str, int] = {}
        size = len(self.text)
        for region, db, ds, scope in regions:
            for item in region.items:
                if isinstance(item, Symbol):  # an import
                    if ds or item.scope_end != size:
                        item = _shifted(item, ds, 0, size, 0)
                    symbols.append(item)
                    continue
                rec: DefRecord = item
                sym = rec.sym
                if rec.module:
                    key_scope = 0
                elif rec.class_scoped and scope is not None:
                    key_scope = scope[0]
                else:
                    key_scope = rec.key_scope + db
                key = (sym.name, sym.container, key_scope, rec.kind_key)
                old_index = seen.get(key)
                if old_index is not None:
                    old = symbols[old_index]
                    if old.type is None and sym.type:
                        symbols[old_index] = _with(old, type=sym.type)
                    continue
                if rec.module:
                    if ds or sym.scope_end != size:
                        sym = _shifted(sym, ds, 0, size, ds)
                elif rec.class_scoped and scope is not None:
                    if ds or sym.scope_start != scope[2] or sym.scope_end != scope[3]:
                        sym = _shifted(sym, ds, scope[2], scope[3], ds)
                elif ds:
                    sym = _shifted(sym, ds, sym.scope_start + ds, sym.scope_end + ds, ds)
                index = len(symbols)
                seen[key] = index
                symbols.append(sym)
                if rec.class_range is not None:
                    s, e, n = rec.class_range
                    class_ranges.append((s + db, e + db, n))
                if rec.param is not None:
                    parent, at, name, typ = rec.param
                    params.setdefault(parent + db, []).append((at + db, name, typ))
                if rec.params_start is not None:
                    func_params.append((index, rec.params_start + db))
                if rec.pending is not None:
                    pending.append((index, *rec.pending))
            for s, e, n in region.class_ranges:
                class_ranges.append((s + db, e + db, n))
            if db:
                accesses.extend((t, b + db, x, m) for t, b, x, m in region.accesses)
            else:
                accesses.extend(region.accesses)
            for local, target in region.imports:
                imports[local] = target
            for word, count in region.words.items():
                words[word] = words.get(word, 0) + count
        self._attach_params(params, func_params)
        fs = FileSymbols(self.path, self.spec.name, symbols, imports=imports)
        inferer = Inferer(fs)
        self._infer(inferer, pending)
        fs.identifier_counts = words
        class_ranges.sort()
        fs.member_counts = self._member_counts(accesses, inferer, class_ranges)
        return fs

    def _regions(
        self, tree: Tree, query: Query
    ) -> list[tuple[Region, int, int, tuple[int, int, int, int] | None]]:
        """Every region with its byte and str shift: reused when its bytes are unchanged."""
        data = self.data
        cache_key = (self.spec.name, self.path)
        with _recent_lock:
            if not REUSE_REGIONS:
                entry = None
            elif self.remember:
                entry = _regions.pop(cache_key, None)
            else:
                entry = _regions.get(cache_key)
        previous = entry[1] if entry is not None else {}
        collector: Collector | None = None
        out: list[tuple[Region, int, int, tuple[int, int, int, int] | None]] = []
        kept: dict[object, Region] = {}
        top = regions_of(tree.root_node, data, self.spec.comment_types)
        if self.spec.name == "python":
            spans = python_spans(top, data)
        else:
            spans = [Span(start, end, nodes) for start, end, nodes in top]
        to_str = self.offsets.to_str
        for span in spans:
            start, end, nodes = span.start, span.end, span.nodes
            outer = span.outer
            scope = None
            if outer is not None:
                ob, oe = outer.start_byte, outer.end_byte
                scope = (ob, oe, to_str(ob), to_str(oe))
            chunk: object = data[start:end]
            if span.header is not None:
                chunk = (span.header, chunk)
            elif span.shallow:
                chunk = self._header_key(span, data[start:end])
            region = previous.get(chunk)
            shape = shape_of(nodes)
            if region is not None and region.shape == shape and not region.has_error:
                db = start - region.start_byte
                ds = to_str(start) - region.start_str
            else:
                if collector is None:
                    collector = Collector(
                        self.spec, self.info, self.offsets, keyword_set(self.spec)
                    )
                owner = (outer.start_byte, outer.end_byte) if outer is not None else None
                region = collector.collect(
                    query, nodes, data, start, end, shallow=span.shallow, outer=owner
                )
                region.shape = shape
                region.has_error = any(flag for _, flag in shape)
                db = ds = 0
            out.append((region, db, ds, scope))
            kept[chunk] = region
        if REUSE_REGIONS and self.remember and len(self.text) <= _RECENT_MAX_CHARS:
            with _recent_lock:
                _regions[cache_key] = (len(self.text), kept)
                _evict()
        return out

    def _header_key(self, span: Span, header: bytes) -> tuple[object, ...]:
        """A class header's collection also reads the class's end (its range) and docstring:
        same header bytes, same length and same docstring give the same records, shifted."""
        cls = span.shallow[-1]
        body = cls.child_by_field_name("body")
        first = body.children[0] if body is not None and body.children else None
        doc = first.text if first is not None and first.type == "expression_statement" else None
        to_str = self.offsets.to_str
        end = cls.end_byte
        return (header, end - span.start, to_str(end) - to_str(span.start), doc)

    def _attach_params(
        self,
        params: dict[int, list[tuple[int, str, str | None]]],
        func_params: list[tuple[int, int]],
    ) -> None:
        for index, params_start in func_params:
            found = sorted(params.get(params_start, ()))
            found_params = tuple((name, typ) for _, name, typ in found)
            sym = self.symbols[index]
            if sym.kind == "method" and found_params and found_params[0][0] in ("self", "cls"):
                found_params = found_params[1:]
            if found_params:
                self.symbols[index] = _with(sym, params=found_params)

    def _infer(self, inferer: Inferer, pending: list[tuple[int, str, str, str | None]]) -> None:
        for index, expr, mode, known in pending:
            sym = self.symbols[index]
            if sym.type is not None:
                continue
            inferred = known
            if mode == "exc":  # except (A, B) as e: e is at least an A
                first = expr.strip("() ").split(",")[0].strip()
                inferred = first.rsplit(".", 1)[-1] if _DOTTED_NAME.match(first) else None
            elif inferred is None and expr:
                try:
                    inferred = inferer.infer(expr, sym.start)
                except RecursionError:
                    inferred = None
            if mode == "iter":
                inferred = element_type(inferred)
            if inferred and inferred != "None":
                new = _with(sym, type=inferred)
                self.symbols[index] = new
                inferer.replace(sym, new)

    def _member_counts(
        self,
        accesses: list[tuple[str, int, str | None, str]],
        inferer: Inferer,
        class_ranges: list[tuple[int, int, str]],
    ) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        literals = self.info.literals
        typed_names = {s.name for s in self.symbols if s.type or s.kind == "class"}
        self_names = self.info.self_names
        starts = [entry[0] for entry in class_ranges]
        for otype, byte, text, member in accesses:
            receiver_type: str | None = literals.get(otype)
            if receiver_type is not None:
                text = None
            elif text is not None:
                head = _HEAD_SPLIT.split(text, maxsplit=1)[0]
                if head in self_names:
                    owner = _self_type(class_ranges, starts, byte)
                    rest = text[len(head) :].lstrip(".:->")
                    if owner and not rest:
                        receiver_type = owner
                    elif owner and "." not in rest:
                        member_sym = inferer.member(owner, rest)
                        receiver_type = member_sym.type if member_sym else None
                elif head in typed_names:
                    receiver_type = inferer.infer(text, self.offsets.to_str(byte))
            if receiver_type:
                key = (f"type:{type_key(receiver_type)}", member)
                counts[key] = counts.get(key, 0) + 1
            if text is not None and _RECEIVER.match(text):
                key = (f"name:{text}", member)
                counts[key] = counts.get(key, 0) + 1
        return counts


def _shifted(sym: Symbol, ds: int, scope_start: int, scope_end: int, end_shift: int) -> Symbol:
    """A copy of ``sym`` moved by ``ds`` characters; cheaper than ``dataclasses.replace``."""
    new = object.__new__(Symbol)
    fields = new.__dict__
    fields.update(sym.__dict__)
    fields["start"] = sym.start + ds
    fields["end"] = sym.end + end_shift
    fields["scope_start"] = scope_start
    fields["scope_end"] = scope_end
    return new


def _self_type(
    class_ranges: list[tuple[int, int, str]], starts: list[int], byte: int
) -> str | None:
    """The class, struct or impl a ``self``/``this`` at ``byte`` refers to: the innermost
    range holding it (the first in sorted order among ranges starting at the same byte)."""
    j = bisect_right(starts, byte) - 1
    while j >= 0:
        entry = class_ranges[j]
        if byte < entry[1]:
            while j > 0 and class_ranges[j - 1][0] == entry[0] and byte < class_ranges[j - 1][1]:
                j -= 1
                entry = class_ranges[j]
            return entry[2]
        j -= 1
    return None


def _with(sym: Symbol, **changes: object) -> Symbol:
    """``dataclasses.replace`` without re-running ``__init__`` (hot in inference)."""
    new = object.__new__(Symbol)
    new.__dict__.update(sym.__dict__)
    new.__dict__.update(changes)
    return new
