"""Per-region collection: what the analysis query finds in a few top-level nodes.

A file is cut into regions (a top-level node, the comments just above it and the blank space
before them). Everything here depends only on one region's text, so a region the edit did not
touch is reused from the previous extraction: the query, the name reads and the word counts are
paid only for the region being typed in. Cross-region work (deduplication of module-level
names, inference, member counts) happens afterwards in :mod:`glm_lsp.analysis.extract`.
"""

from __future__ import annotations

import re
import time
from collections import Counter

from tree_sitter import Node, Query, QueryCursor

from glm_lsp.analysis.langs import LangInfo
from glm_lsp.analysis.regions import DefRecord, Region
from glm_lsp.analysis.symbols import Symbol
from glm_lsp.analysis.typenames import GENERIC_TAIL, normalize_type, type_key
from glm_lsp.foreground import pause_for_requests
from glm_lsp.syntax.languages import LanguageSpec
from glm_lsp.syntax.offsets import ByteOffsets, decode
from glm_lsp.syntax.words import IDENTIFIER_BYTES

_BASE_NAME = re.compile(r"[A-Za-z_][\w.:]*")
_KW_ARG = re.compile(r"\w+\s*=\s*[^,()]+")
_NO_TYPE = frozenset({"var", "auto", "let", "const", "_"})
_DOC_PREFIX = re.compile(r"^\s*(?:///?|/\*\*?|\*|#)+")


def node_text(node: Node) -> str:
    raw = node.text
    return decode(raw) if raw is not None else ""


def oneline(text: str) -> str:
    return " ".join(text.split())


EXTRACT_BUDGET_S = 2.0
"""Longest one extraction may run: a real 5 MB file takes about 1 s; random text parsed into
millions of error nodes took minutes (on the event loop for the first dropdown, on the index
thread for the index). Past it the file gets word frequencies only."""


class ExtractTooSlow(RuntimeError):
    """Extraction ran past :data:`EXTRACT_BUDGET_S`."""


class Collector:
    """Runs the analysis query over the nodes of one region (see module docstring)."""

    def __init__(
        self,
        spec: LanguageSpec,
        info: LangInfo,
        offsets: ByteOffsets,
        keywords: frozenset[str],
    ) -> None:
        self.spec = spec
        self.info = info
        self.offsets = offsets
        self.nbytes = offsets.nbytes
        self.keywords = keywords
        self.is_python = spec.name == "python"
        self.is_c_family = spec.name in ("c", "cpp")
        self.class_names: dict[int, str | None] = {}
        self.outer: tuple[int, int] | None = None
        self.deadline = time.thread_time() + EXTRACT_BUDGET_S
        """This thread's CPU time: pausing for requests (foreground.py) does not count."""

    def collect(
        self,
        query: Query,
        nodes: list[Node],
        data: bytes,
        start: int,
        end: int,
        shallow: tuple[Node, ...] = (),
        outer: tuple[int, int] | None = None,
    ) -> Region:
        """Matches within ``nodes``, plus those rooted exactly at the ``shallow`` nodes (a class
        header: the class node spans its members, which other regions collect). ``outer`` is
        the byte range of the class whose members these are."""
        region = Region(start, self.offsets.to_str(start))
        self.outer = outer
        skipped: list[tuple[int, int]] = []
        import_spans: list[tuple[int, int]] = []
        cursors: list[tuple[Node, QueryCursor]] = []
        for node in shallow:
            cursor = QueryCursor(query)
            cursor.set_max_start_depth(0)
            cursors.append((node, cursor))
        cursors.extend((node, QueryCursor(query)) for node in nodes)
        pause_for_requests()
        if time.thread_time() > self.deadline:  # checked per region, and per 64 matches
            raise ExtractTooSlow(f"over {EXTRACT_BUDGET_S} s")
        for node, cursor in cursors:
            for n, (_pattern, caps) in enumerate(cursor.matches(node)):
                if n % 64 == 63:
                    pause_for_requests()
                    if time.thread_time() > self.deadline:
                        raise ExtractTooSlow(f"over {EXTRACT_BUDGET_S} s")
                self._match(caps, region, skipped)
                if "import" in caps:
                    span = caps["import"][0]
                    import_spans.append((span.start_byte, span.end_byte))
        if import_spans and region.accesses:  # `use a::b::C` names a path, not a member use
            region.accesses = [
                a for a in region.accesses if not any(s <= a[1] < e for s, e in import_spans)
            ]
        region.words = self._words(data, start, end, skipped)
        return region

    def _match(
        self, caps: dict[str, list[Node]], region: Region, skipped: list[tuple[int, int]]
    ) -> None:
        if "scope.class" in caps:  # a type body that defines no symbol (Rust impl)
            node = caps["scope.class"][0]
            owner = self.class_name(node)
            if owner:
                region.class_ranges.append((node.start_byte, node.end_byte, owner))
            return
        if "skip" in caps:
            node = caps["skip"][0]
            skipped.append((node.start_byte, node.end_byte))
            return
        if "access" in caps:
            obj, member = caps.get("access.object"), caps.get("access.member")
            if obj and member and not _dangling_operator(member[0]):
                o = obj[0]
                short = node_text(o) if o.end_byte - o.start_byte <= 60 else None
                region.accesses.append((o.type, o.start_byte, short, node_text(member[0])))
            return
        if "import" in caps:
            self._import(caps, region)
            return
        for key, nodes in caps.items():
            if key.startswith("def."):
                self._definition(key[4:], nodes[0], caps, region)
                return

    def _words(
        self, data: bytes, start: int, end: int, skipped: list[tuple[int, int]]
    ) -> dict[str, int]:
        """Words of the code outside strings and comments, minus the language's keywords."""
        skipped.sort()
        parts: list[bytes] = []
        pos = start
        for s, e in skipped:
            if s > pos:
                parts.append(data[pos:s])
            pos = max(pos, e)
        if pos < end:
            parts.append(data[pos:end])
        counts = Counter(IDENTIFIER_BYTES.findall(b" ".join(parts)))
        keywords = self.keywords
        return {w: n for k, n in counts.items() if (w := decode(k)) not in keywords}

    # -- definitions ---------------------------------------------------------------------

    def _definition(
        self, kind: str, node: Node, caps: dict[str, list[Node]], region: Region
    ) -> None:
        names = caps.get("name")
        if not names:
            return
        name = node_text(names[-1])
        if not name or name == "_":
            return
        container, scope, local, kind, module = self._enclosing(node, kind)
        if "container" in caps:
            container = node_text(caps["container"][0]).rsplit("::", 1)[-1].lstrip("*& ")
            container = GENERIC_TAIL.sub("", container).strip() or None
            if container is not None:
                region.class_ranges.append((node.start_byte, node.end_byte, container))
            if kind == "function":
                kind = "method"
        type_text = node_text(caps["type"][0]) if "type" in caps else None
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
            type_text = oneline(type_text)
        returns = None
        if "returns" in caps:
            returns = oneline(node_text(caps["returns"][0]))
            if self.is_python:
                returns = normalize_type(returns)
        if self.is_c_family:
            suffix = _declarator_suffix(names[-1], node)
            if suffix and kind == "function" and returns:
                returns = f"{returns} {suffix}"
            elif suffix and type_text and kind != "function":
                type_text = f"{type_text} {suffix}"
        signature = None
        if params_node is not None:
            signature = oneline(node_text(params_node))
            if returns:
                signature += f" -> {returns}"
        bases: tuple[str, ...] = ()
        if "bases" in caps:
            raw = _KW_ARG.sub("", node_text(caps["bases"][0]))
            keywords = self.spec.keywords
            bases = tuple(w for w in _BASE_NAME.findall(raw) if w not in keywords)
        if kind == "function" and container is not None and not local:
            kind = "method"
        to_str = self.offsets.to_str
        sym = Symbol(
            name=name,
            kind=kind,
            type=type_text,
            signature=signature,
            container=container,
            scope_start=to_str(scope[0]),
            scope_end=to_str(scope[1]),
            start=to_str(names[-1].start_byte),
            end=to_str(node.end_byte),
            doc=self._doc(node) if kind in ("function", "method", "class", "struct") else None,
            returns=returns,
            local=local,
            bases=bases,
        )
        kind_key = kind if kind not in ("variable", "field") else "var"
        rec = DefRecord(sym, scope[0], module, kind_key, class_scoped=scope == self.outer)
        if kind in ("class", "struct", "interface", "enum") and node.type in self.info.class_scopes:
            rec.class_range = (node.start_byte, node.end_byte, name)
        if kind == "parameter" and node.parent is not None:
            rec.param = (node.parent.start_byte, node.start_byte, name, type_text)
        if params_node is not None:
            rec.params_start = params_node.start_byte
        if type_text is None:
            for mode in ("value", "iter", "ctx", "exc"):
                if mode in caps:
                    value = caps[mode][0]
                    known = None if self.is_python else self._node_type(value)
                    expr = node_text(value) if value.end_byte - value.start_byte < 400 else ""
                    rec.pending = (expr, mode, known)
                    break
        region.items.append(rec)

    def _enclosing(
        self, node: Node, kind: str
    ) -> tuple[str | None, tuple[int, int], bool, str, bool]:
        """Container, visibility range (bytes), local flag, adjusted kind, module scope flag."""
        info = self.info
        parent = node.parent
        local_scope: Node | None = None
        while parent is not None:
            ptype = parent.type
            if ptype in info.class_scopes:
                name = self.class_name(parent)
                if local_scope is not None:
                    if kind == "field":
                        return name, (parent.start_byte, parent.end_byte), False, kind, False
                    break
                if kind == "function":
                    kind = "method"
                elif kind == "variable":
                    kind = "field"
                return name, (parent.start_byte, parent.end_byte), False, kind, False
            if local_scope is None and (
                ptype in info.function_scopes or ptype in info.local_scopes
            ):
                local_scope = parent
                if kind != "field":
                    break
            parent = parent.parent
        if local_scope is not None:
            if kind == "field":  # self.x outside any class: just a local name
                kind = "variable"
            scope = (local_scope.start_byte, local_scope.end_byte)
            return None, scope, True, kind, False
        return None, (0, self.nbytes), False, kind, True

    def class_name(self, node: Node) -> str | None:
        key = node.start_byte
        if key not in self.class_names:
            self.class_names[key] = self._read_class_name(node)
        return self.class_names[key]

    def _read_class_name(self, node: Node) -> str | None:
        target = node.child_by_field_name("name") or node.child_by_field_name("type")
        if target is None:
            return None
        name = node_text(target)
        return GENERIC_TAIL.sub("", name).rsplit("::", 1)[-1].strip() or None

    def _doc(self, node: Node) -> str | None:
        if self.info.docstrings:
            body = node.child_by_field_name("body")
            first = body.named_children[0] if body is not None and body.named_children else None
            if first is not None and first.type == "expression_statement" and first.named_children:
                lit = first.named_children[0]
                if lit.type == "string":
                    return first_doc_line(node_text(lit).strip("rbuRBU").strip("\"'"))
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
            return first_doc_line(_DOC_PREFIX.sub("", node_text(prev)))
        return None

    def _node_type(self, node: Node) -> str | None:
        """Type evident from a value node alone: a literal, or a constructor expression."""
        literal = self.info.literals.get(node.type)
        if literal is not None:
            return literal
        field_name = self.info.constructors.get(node.type)
        if field_name is None:
            return None
        target = node.child_by_field_name(field_name)
        return type_key(node_text(target)) if target is not None else None

    # -- imports -------------------------------------------------------------------------

    def _import(self, caps: dict[str, list[Node]], region: Region) -> None:
        node = caps["import"][0]
        alias = node_text(caps["import.alias"][0]) if "import.alias" in caps else None
        source = node_text(caps["import.from"][0]) if "import.from" in caps else None
        if source is None and "import.wildcard" not in caps and "import.module" in caps:
            source = node_text(caps["import.module"][0])
        if source is not None:
            source = source.strip("\"'`<> ")
        if "import.wildcard" in caps or node_text(node).rstrip("; \n").endswith(".*"):
            region.imports.append((f"*{source}", source or ""))
            return
        if "import.module" in caps:
            module = node_text(caps["import.module"][0]).strip("\"'`<> ")
            if self.is_python:
                local = alias or module.split(".", 1)[0]
                target = module if alias else local
            else:
                if self.spec.name in ("c", "cpp"):
                    module = re.sub(r"\.(h|hh|hpp|hxx)$", "", module)
                local = alias or re.split(r"[/:.]", module.rstrip("/"))[-1]
                target = module
        elif "import.name" in caps:
            name = node_text(caps["import.name"][0])
            local = alias or name.rsplit(".", 1)[-1].rsplit("::", 1)[-1]
            sep = "" if source and source.endswith(".") else "."
            target = f"{source}{sep}{name}" if source else name
        else:
            return
        if not local:
            return
        region.imports.append((local, target))
        start = self.offsets.to_str(node.start_byte)
        region.items.append(
            Symbol(local, "module", start=start, scope_end=self.offsets.size, origin=target)
        )


def _declarator_suffix(name: Node, definition: Node) -> str:
    """``*``/``&`` of the declarators between a C/C++ name and its declaration.

    The query captures the declaration's base type (``char``); the pointer lives on the
    declarator (``char **argv``), so without this ``argv`` would read as a ``char``.
    """
    suffix = ""
    node = name.parent
    while node is not None and node != definition:
        if node.type == "pointer_declarator":
            suffix += "*"
        elif node.type == "reference_declarator":
            suffix += "&"
        node = node.parent
    return suffix


def first_doc_line(doc: str) -> str | None:
    for line in doc.splitlines():
        stripped = line.strip().strip("*/").strip()
        if stripped:
            return stripped
    return None


def _dangling_operator(member: Node) -> bool:
    """True when the operator ends a line and the "member" starts the next one.

    That is how the parser reads a half-typed ``obj.`` followed by the next statement
    (``cart.`` + newline + ``return …`` parses as ``cart.return``): counting it would teach the
    ranking that keywords are members. Real code that breaks a chain puts the dot on the new line.
    """
    op = member.prev_sibling
    return op is not None and op.end_point.row < member.start_point.row
