"""Symbol extraction: one pass of our query over the tree, then a little type inference.

Everything runs on the matches of one query (C code walks the tree); Python only touches
definitions, imports, member accesses and string/comment spans, never every identifier. Byte
offsets from tree-sitter become ``str`` offsets through :class:`ByteMap` as records are made.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, replace

from tree_sitter import Node, Query, QueryCursor, Tree

from glm_lsp.analysis.langs import LANGS, LangInfo
from glm_lsp.analysis.offsets import ByteMap, decode, encode
from glm_lsp.analysis.queries import analysis_query, keyword_set, word_counts
from glm_lsp.analysis.symbols import FileSymbols, Symbol
from glm_lsp.analysis.types import Inferer, element_type, normalize_type
from glm_lsp.syntax.languages import LanguageSpec

log = logging.getLogger(__name__)

MAX_PARSE_BYTES = 4 * 1024 * 1024
"""Larger texts get word frequencies only: a generated multi-megabyte file has no useful symbols."""

_BYTE_WORD = re.compile(rb"[A-Za-z_$][\w$]*")
_RECEIVER = re.compile(r"^[\w$.:>-]{1,60}$")
_BASE_NAME = re.compile(r"[A-Za-z_][\w.:]*")
_KW_ARG = re.compile(r"\w+\s*=\s*[^,()]+")
_GENERIC_TAIL = re.compile(r"[\[<].*", re.S)
_HEAD_SPLIT = re.compile(r"[.:\->]")
_TYPE_PREFIX = re.compile(r"^(?:(?:struct|union|enum|class|mut|const)\s+)+")
_DOTTED_NAME = re.compile(r"[A-Za-z_][\w.]*$")
_NO_TYPE = frozenset({"var", "auto", "let", "const", "_"})


@dataclass
class _Pending:
    """Inference work left for after all definitions are known."""

    index: int
    expr: str
    mode: str  # "value" | "iter" | "ctx" | "exc"
    known: str | None = None
    """Type read off the value node itself (a literal or ``new Foo()``) in non-Python code."""


_RECENT_SIZE = 8
_RECENT_MAX_CHARS = 1_000_000
_recent: OrderedDict[tuple[str | None, str, str], FileSymbols] = OrderedDict()
_recent_lock = threading.Lock()


def extract(spec: LanguageSpec | None, text: str, tree: Tree | None, path: str) -> FileSymbols:
    """Extraction with a tiny memo of the latest texts.

    The completion engine and the index both extract the document being edited, usually from
    the very same ``str`` object (whose hash Python caches), so the second caller pays a dict
    lookup instead of a full extraction. Results are shared: treat them as read-only.
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
        while len(_recent) > _RECENT_SIZE:
            _recent.popitem(last=False)
    return result


def _extract(spec: LanguageSpec | None, text: str, tree: Tree | None, path: str) -> FileSymbols:
    language = spec.name if spec else None
    try:
        if spec is None or len(text) > MAX_PARSE_BYTES:
            return FileSymbols(path, language, identifier_counts=word_counts(text))
        query = analysis_query(spec)
        if query is None:
            return FileSymbols(path, language, identifier_counts=word_counts(text))
        data = encode(text)
        if tree is None:
            tree = spec.parser().parse(data)
        return _Extractor(spec, LANGS.get(spec.name), text, data, path).run(tree, query)
    except Exception:  # a broken file must still give word frequencies
        log.exception("symbol extraction failed for %s", path)
        return FileSymbols(path, language, identifier_counts=word_counts(text))


def _text(node: Node) -> str:
    raw = node.text
    return decode(raw) if raw is not None else ""


def _oneline(text: str) -> str:
    return " ".join(text.split())


class _Extractor:
    def __init__(
        self, spec: LanguageSpec, info: LangInfo | None, text: str, data: bytes, path: str
    ) -> None:
        self.spec = spec
        self.info = info or LangInfo(frozenset(), frozenset(), {})
        self.text = text
        self.data = data
        self.path = path
        self.bytemap = ByteMap(text, data)
        self.is_python = spec.name == "python"
        self.symbols: list[Symbol] = []
        self.pending: list[_Pending] = []
        self.params: dict[int, list[tuple[int, str, str | None]]] = {}
        self.func_params: list[tuple[int, int]] = []  # (symbol index, params node start)
        self.seen: dict[tuple[str, str | None, int, str], int] = {}
        self.class_ranges: list[tuple[int, int, str]] = []
        """Byte ranges of classes, impls and methods defined outside their type → type name
        (what ``self``/``this`` means there)."""
        self.class_names: dict[int, str | None] = {}

    def run(self, tree: Tree, query: Query) -> FileSymbols:
        accesses: list[tuple[Node, str]] = []
        imports: dict[str, str] = {}
        skipped: list[tuple[int, int]] = []
        for _pattern, caps in QueryCursor(query).matches(tree.root_node):
            if "scope.class" in caps:  # a type body that defines no symbol (Rust impl)
                node = caps["scope.class"][0]
                owner = self._class_name(node)
                if owner:
                    self.class_ranges.append((node.start_byte, node.end_byte, owner))
                continue
            if "skip" in caps:
                node = caps["skip"][0]
                skipped.append((node.start_byte, node.end_byte))
                continue
            if "access" in caps:
                obj, member = caps.get("access.object"), caps.get("access.member")
                if obj and member:
                    accesses.append((obj[0], _text(member[0])))
                continue
            if "import" in caps:
                self._import(caps, imports)
                continue
            for key, nodes in caps.items():
                if key.startswith("def."):
                    self._definition(key[4:], nodes[0], caps)
                    break
        self._attach_params()
        fs = FileSymbols(self.path, self.spec.name, self.symbols, imports=imports)
        inferer = Inferer(fs)
        self._infer(inferer)
        fs.identifier_counts = self._identifier_counts(skipped)
        fs.member_counts = self._member_counts(accesses, inferer)
        return fs

    # -- definitions ---------------------------------------------------------------------

    def _definition(self, kind: str, node: Node, caps: dict[str, list[Node]]) -> None:
        names = caps.get("name")
        if not names:
            return
        name = _text(names[-1])
        if not name or name == "_":
            return
        container, scope, local, kind = self._enclosing(node, kind)
        if "container" in caps:
            container = _text(caps["container"][0]).rsplit("::", 1)[-1].lstrip("*& ")
            container = _GENERIC_TAIL.sub("", container).strip() or None
            if container is not None:
                self.class_ranges.append((node.start_byte, node.end_byte, container))
            if kind == "function":
                kind = "method"
        type_text = _text(caps["type"][0]) if "type" in caps else None
        if type_text in _NO_TYPE:
            type_text = None
        params_node = caps["params"][0] if "params" in caps else None
        if kind in ("variable", "field") and "value" in caps:
            value = caps["value"][0]
            if value.type in self.info.function_scopes:
                kind = "function" if kind == "variable" else "method"
                params_node = value.child_by_field_name("parameters")
        if type_text and self.is_python:
            type_text = normalize_type(type_text)
        elif type_text:
            type_text = _oneline(type_text)
        returns = None
        if "returns" in caps:
            returns = _oneline(_text(caps["returns"][0]))
            if self.is_python:
                returns = normalize_type(returns)
        signature = None
        if params_node is not None:
            signature = _oneline(_text(params_node))
            if returns:
                signature += f" -> {returns}"
        bases: tuple[str, ...] = ()
        if "bases" in caps:
            raw = _KW_ARG.sub("", _text(caps["bases"][0]))
            words = _BASE_NAME.findall(raw)
            keywords = set(self.spec.keywords)
            bases = tuple(w for w in words if w not in keywords)
        start = self.bytemap.to_str(names[-1].start_byte)
        if kind == "function" and container is not None and not local:
            kind = "method"
        key = (name, container, scope[0], kind if kind not in ("variable", "field") else "var")
        if key in self.seen:
            old_index = self.seen[key]
            old = self.symbols[old_index]
            if old.type is None and type_text:
                self.symbols[old_index] = replace(old, type=type_text)
            return
        sym = Symbol(
            name=name,
            kind=kind,
            type=type_text,
            signature=signature,
            container=container,
            scope_start=self.bytemap.to_str(scope[0]),
            scope_end=self.bytemap.to_str(scope[1]),
            start=start,
            end=self.bytemap.to_str(node.end_byte),
            doc=self._doc(node) if kind in ("function", "method", "class", "struct") else None,
            returns=returns,
            local=local,
            bases=bases,
        )
        if kind in ("class", "struct", "interface", "enum") and node.type in self.info.class_scopes:
            self.class_ranges.append((node.start_byte, node.end_byte, name))
        index = len(self.symbols)
        self.seen[key] = index
        self.symbols.append(sym)
        if kind == "parameter" and node.parent is not None:
            bucket = self.params.setdefault(node.parent.start_byte, [])
            bucket.append((node.start_byte, name, type_text))
        if params_node is not None:
            self.func_params.append((index, params_node.start_byte))
        if type_text is None:
            for mode in ("value", "iter", "ctx", "exc"):
                if mode in caps:
                    value = caps[mode][0]
                    known = None if self.is_python else self._node_type(value)
                    expr = _text(value) if value.end_byte - value.start_byte < 400 else ""
                    self.pending.append(_Pending(index, expr, mode, known))
                    break

    def _enclosing(self, node: Node, kind: str) -> tuple[str | None, tuple[int, int], bool, str]:
        """Container, visibility range (bytes), local flag and adjusted kind for a definition."""
        info = self.info
        parent = node.parent
        local_scope: Node | None = None
        while parent is not None:
            ptype = parent.type
            if ptype in info.class_scopes:
                name = self._class_name(parent)
                if local_scope is not None:
                    if kind == "field":
                        return name, (parent.start_byte, parent.end_byte), False, kind
                    break
                if kind == "function":
                    kind = "method"
                elif kind == "variable":
                    kind = "field"
                return name, (parent.start_byte, parent.end_byte), False, kind
            if ptype in info.function_scopes and local_scope is None:
                local_scope = parent
                if kind != "field":
                    break
            parent = parent.parent
        if local_scope is not None:
            if kind == "field":  # self.x outside any class: just a local name
                kind = "variable"
            return None, (local_scope.start_byte, local_scope.end_byte), True, kind
        return None, (0, len(self.data)), False, kind

    def _class_name(self, node: Node) -> str | None:
        key = node.start_byte
        if key not in self.class_names:
            self.class_names[key] = self._read_class_name(node)
        return self.class_names[key]

    def _read_class_name(self, node: Node) -> str | None:
        target = node.child_by_field_name("name") or node.child_by_field_name("type")
        if target is None:
            return None
        name = _text(target)
        return _GENERIC_TAIL.sub("", name).rsplit("::", 1)[-1].strip() or None

    def _doc(self, node: Node) -> str | None:
        if self.info.docstrings:
            body = node.child_by_field_name("body")
            first = body.named_children[0] if body is not None and body.named_children else None
            if first is not None and first.type == "expression_statement" and first.named_children:
                lit = first.named_children[0]
                if lit.type == "string":
                    return _first_doc_line(_text(lit).strip("rbuRBU").strip("\"'"))
            return None
        prev = node.prev_named_sibling
        if prev is None and node.parent is not None:  # Go type_declaration, JS export
            node = node.parent
            prev = node.prev_named_sibling
        if (
            prev is not None
            and prev.type in self.spec.comment_types
            and node.start_point[0] - prev.end_point[0] <= 1
        ):
            return _first_doc_line(re.sub(r"^\s*(?:///?|/\*\*?|\*|#)+", "", _text(prev)))
        return None

    def _attach_params(self) -> None:
        for index, params_start in self.func_params:
            found = sorted(self.params.get(params_start, ()))
            params = tuple((name, typ) for _, name, typ in found)
            sym = self.symbols[index]
            if sym.kind == "method" and params and params[0][0] in ("self", "cls"):
                params = params[1:]
            if params:
                self.symbols[index] = replace(sym, params=params)

    # -- imports -------------------------------------------------------------------------

    def _import(self, caps: dict[str, list[Node]], imports: dict[str, str]) -> None:
        node = caps["import"][0]
        alias = _text(caps["import.alias"][0]) if "import.alias" in caps else None
        source = _text(caps["import.from"][0]) if "import.from" in caps else None
        if source is None and "import.wildcard" not in caps and "import.module" in caps:
            source = _text(caps["import.module"][0])
        if source is not None:
            source = source.strip("\"'`<> ")
        if "import.wildcard" in caps or _text(node).rstrip("; \n").endswith(".*"):
            imports[f"*{source}"] = source or ""
            return
        if "import.module" in caps:
            module = _text(caps["import.module"][0]).strip("\"'`<> ")
            if self.is_python:
                local = alias or module.split(".", 1)[0]
                target = module if alias else local
            else:
                if self.spec.name in ("c", "cpp"):
                    module = re.sub(r"\.(h|hh|hpp|hxx)$", "", module)
                local = alias or re.split(r"[/:.]", module.rstrip("/"))[-1]
                target = module
        elif "import.name" in caps:
            name = _text(caps["import.name"][0])
            local = alias or name.rsplit(".", 1)[-1].rsplit("::", 1)[-1]
            sep = "" if source and source.endswith(".") else "."
            target = f"{source}{sep}{name}" if source else name
        else:
            return
        if not local:
            return
        imports[local] = target
        start = self.bytemap.to_str(node.start_byte)
        self.symbols.append(
            Symbol(local, "module", start=start, scope_end=len(self.text), origin=target)
        )

    # -- inference -----------------------------------------------------------------------

    def _infer(self, inferer: Inferer) -> None:
        for job in self.pending:
            sym = self.symbols[job.index]
            if sym.type is not None:
                continue
            inferred = job.known
            if job.mode == "exc":  # except (A, B) as e: e is at least an A
                first = job.expr.strip("() ").split(",")[0].strip()
                inferred = first.rsplit(".", 1)[-1] if _DOTTED_NAME.match(first) else None
            elif inferred is None and job.expr:
                try:
                    inferred = inferer.infer(job.expr, sym.start)
                except RecursionError:
                    inferred = None
            if job.mode == "iter":
                inferred = element_type(inferred)
            if inferred and inferred != "None":
                new = replace(sym, type=inferred)
                self.symbols[job.index] = new
                inferer.replace(sym, new)

    def _member_counts(
        self, accesses: list[tuple[Node, str]], inferer: Inferer
    ) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        self.class_ranges.sort()
        literals = self.info.literals
        typed_names = {s.name for s in self.symbols if s.type or s.kind == "class"}
        self_names = self.info.self_names
        for obj, member in accesses:
            otype = obj.type
            receiver_type: str | None = literals.get(otype)
            text = None
            if receiver_type is None and obj.end_byte - obj.start_byte <= 60:
                text = _text(obj)
                head = _HEAD_SPLIT.split(text, maxsplit=1)[0]
                if head in self_names:
                    owner = self._self_type(obj)
                    rest = text[len(head) :].lstrip(".:->")
                    if owner and not rest:
                        receiver_type = owner
                    elif owner and "." not in rest:
                        member_sym = inferer.member(owner, rest)
                        receiver_type = member_sym.type if member_sym else None
                elif head in typed_names:
                    at = self.bytemap.to_str(obj.start_byte)
                    receiver_type = inferer.infer(text, at)
            if receiver_type:
                key = (f"type:{_type_key(receiver_type)}", member)
                counts[key] = counts.get(key, 0) + 1
            if text is not None and _RECEIVER.match(text):
                key = (f"name:{text}", member)
                counts[key] = counts.get(key, 0) + 1
        return counts

    def _node_type(self, node: Node) -> str | None:
        """Type evident from a value node alone: a literal, or a constructor expression."""
        literal = self.info.literals.get(node.type)
        if literal is not None:
            return literal
        field_name = self.info.constructors.get(node.type)
        if field_name is None:
            return None
        target = node.child_by_field_name(field_name)
        return _type_key(_text(target)) if target is not None else None

    def _self_type(self, node: Node) -> str | None:
        """The class, struct or impl a ``self``/``this`` at ``node`` refers to."""
        byte = node.start_byte
        best: tuple[int, int, str] | None = None
        for entry in self.class_ranges:  # sorted by start in _member_counts
            if entry[0] > byte:
                break
            if entry[0] <= byte < entry[1] and (best is None or entry[0] > best[0]):
                best = entry
        return best[2] if best is not None else None

    def _identifier_counts(self, skipped: list[tuple[int, int]]) -> dict[str, int]:
        """Words of the code outside strings and comments, minus the language's keywords."""
        skipped.sort()
        parts: list[bytes] = []
        pos = 0
        data = self.data
        for start, end in skipped:
            if start > pos:
                parts.append(data[pos:start])
            pos = max(pos, end)
        parts.append(data[pos:])
        counts = Counter(_BYTE_WORD.findall(b" ".join(parts)))
        keywords = keyword_set(self.spec)
        return {w: n for k, n in counts.items() if (w := decode(k)) not in keywords}


def _type_key(type_name: str) -> str:
    """Receiver key type: the head without generic arguments (``list[int]`` → ``list``)."""
    t = type_name.strip()
    if "|" in t:
        parts = [p.strip() for p in t.split("|") if p.strip() not in ("None", "null", "undefined")]
        t = parts[0] if parts else t
    t = t.lstrip("&*").strip()
    t = _TYPE_PREFIX.sub("", t)
    return _GENERIC_TAIL.sub("", t).strip() or type_name


def _first_doc_line(doc: str) -> str | None:
    for line in doc.splitlines():
        stripped = line.strip().strip("*/").strip()
        if stripped:
            return stripped
    return None
