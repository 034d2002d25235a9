"""Light type inference over expression text: enough to pick members and rank by type fit.

Deliberately shallow: annotations, constructor calls, literals, return annotations, ``self``
attributes, assignments that copy another name, loop targets and ``with`` targets. Anything
deeper answers None, which the ranking treats as "unknown" rather than "wrong".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Protocol

from glm_lsp.analysis.builtins import builtin_members
from glm_lsp.analysis.symbols import FileSymbols, Symbol
from glm_lsp.analysis.typenames import STRING_START, head_of, literal_type, subscript_type

_IDENT = re.compile(r"[^\W\d]\w*$")
_ATTR_TAIL = re.compile(r"(?:^|[\w)\]]\s*\.\s*)[^\W\d]\w*$")
_MEMBER = re.compile(r"^(.+?)\s*\.\s*([^\W\d]\w*)$", re.S)
_BUILTIN_RETURNS = {
    "len": "int",
    "open": "TextIOWrapper",
    "sorted": "list",
    "repr": "str",
    "input": "str",
    "format": "str",
    "hash": "int",
    "id": "int",
    "ord": "int",
    "chr": "str",
    "hex": "str",
    "oct": "str",
    "bin": "str",
    "isinstance": "bool",
    "issubclass": "bool",
    "callable": "bool",
    "hasattr": "bool",
    "vars": "dict",
    "globals": "dict",
    "locals": "dict",
    "dir": "list[str]",
    "round": "int",
}
_PY_CLASSES = frozenset(
    "int float complex bool str bytes bytearray list dict set frozenset tuple object type range "
    "memoryview slice enumerate zip map filter reversed property".split()
)
_MAX_DEPTH = 6
_MAX_SCAN = 256
_SMALL_BUCKET = 32


class MemberSource(Protocol):
    """What inference needs from the workspace index (kept narrow for tests)."""

    def lookup(self, name: str, language: str | None = None) -> list[Symbol]: ...
    def members_of(self, type_name: str, language: str) -> list[Symbol]: ...


class Inferer:
    """Infers expression types within one file, optionally consulting the workspace index."""

    def __init__(self, file: FileSymbols, index: MemberSource | None = None) -> None:
        self.file = file
        self.index = index
        self.language = file.language or "python"
        self.names: dict[str, list[Symbol]] = {}
        self.classes: list[Symbol] = []
        for sym in file.symbols:
            self.names.setdefault(sym.name, []).append(sym)
            if sym.kind in ("class", "struct"):
                self.classes.append(sym)
        # Names reachable without a receiver, sorted by scope start for bisection: minified
        # code defines the same one-letter name thousands of times. Built per name on first
        # use: extraction asks about a few names, and building all of them dominated.
        self._scoped: dict[str, tuple[list[int], list[Symbol]] | None] = {}
        self._positions: dict[int, dict[int, int]] = {}

    def _scoped_for(self, name: str) -> tuple[list[int], list[Symbol]] | None:
        if name in self._scoped:
            return self._scoped[name]
        bucket = self.names.get(name)
        entry = None
        if bucket:
            plain = sorted(
                (s for s in bucket if s.container is None or s.local),
                key=lambda s: (s.scope_start, s.start),
            )
            if plain:
                entry = ([s.scope_start for s in plain], plain)
        self._scoped[name] = entry
        return entry

    def replace(self, old: Symbol, new: Symbol) -> None:
        """Keep the name map current when the extractor fills in an inferred type."""
        bucket = self.names.get(old.name)
        if bucket is not None:
            self._swap_in(bucket, old, new)
        scoped = self._scoped.get(old.name)
        if scoped is not None:
            self._swap_in(scoped[1], old, new)

    def _swap_in(self, bucket: list[Symbol], old: Symbol, new: Symbol) -> None:
        """Replace ``old`` by identity: a scan in small buckets, a position map in big ones
        (minified code: thousands of ``e``s, each typed in turn)."""
        if len(bucket) <= _SMALL_BUCKET:
            for i, sym in enumerate(bucket):
                if sym is old:
                    bucket[i] = new
                    return
            return
        positions = self._positions.get(id(bucket))
        if positions is None:
            positions = {id(sym): i for i, sym in enumerate(bucket)}
            self._positions[id(bucket)] = positions
        i = positions.pop(id(old), -1)
        if i >= 0 and bucket[i] is old:
            bucket[i] = new
            positions[id(new)] = i

    def visible(self, name: str, at: int) -> Symbol | None:
        """The definition of ``name`` that is in scope at ``at`` (innermost, latest typed)."""
        entry = self._scoped_for(name)
        if entry is None:
            return None
        starts, syms = entry
        best: Symbol | None = None
        j = bisect_right(starts, at) - 1
        steps = 0
        while j >= 0:
            sym = syms[j]
            if best is not None and sym.scope_start < best.scope_start:
                break  # past the innermost scope that holds the name
            in_scope = sym.scope_start <= at <= max(sym.scope_end, sym.scope_start)
            if in_scope and (best is None or _better(sym, best, at)):
                best = sym
            j -= 1
            steps += 1
            if best is None and steps == _MAX_SCAN:  # give up on nesting: module level
                j = min(j, bisect_right(starts, 0) - 1)
        return best

    def enclosing_class(self, at: int) -> str | None:
        best: Symbol | None = None
        for sym in self.classes:
            if sym.start <= at <= sym.end and (best is None or sym.start > best.start):
                best = sym
        return best.name if best else None

    def member(self, type_name: str, name: str) -> Symbol | None:
        head = head_of(type_name).rsplit(".", 1)[-1]
        for sym in self.names.get(name, ()):
            if sym.container == head and not sym.local:
                return sym
        if self.index is not None:
            for sym in self.index.members_of(head, self.language):
                if sym.name == name:
                    return sym
        for sym in builtin_members(self.language, head):
            if sym.name == name:
                return sym
        return None

    def infer(self, expr: str, at: int, depth: int = 0) -> str | None:
        e = expr.strip()
        if not e or depth > _MAX_DEPTH:
            return None
        lit = literal_type(e) if self.language == "python" else None
        if lit is not None:
            return lit
        if e.startswith("await "):
            return self.infer(e[6:], at, depth + 1)
        if e[0] == "(" and e[-1] == ")":
            return self.infer(e[1:-1], at, depth + 1)
        if e.startswith("f") and STRING_START.match(e):
            return "str"
        if _IDENT.match(e):
            return self._name_type(e, at, depth)
        if e.endswith(")"):
            callee = _callee(e)
            if callee is not None:
                return self._call_type(callee, at, depth)
        if e.endswith("]"):
            base = _subscripted(e)
            if base is not None:
                return subscript_type(self.infer(base, at, depth + 1))
        m = _MEMBER.match(e)
        if m is not None:
            obj, attr = m.group(1), m.group(2)
            owner = self.infer(obj, at, depth + 1)
            if owner:
                sym = self.member(owner, attr)
                if sym is not None:
                    return sym.type if sym.kind not in ("class",) else sym.name
        return None

    def _name_type(self, name: str, at: int, depth: int) -> str | None:
        if name in ("self", "cls", "this"):
            cls = self.enclosing_class(at)
            if cls:
                return cls
        sym = self.visible(name, at)
        if sym is None and self.index is not None:
            found = self.index.lookup(name, self.language)
            sym = found[0] if found else None
        if sym is None:
            return name if self.language == "python" and name in _PY_CLASSES else None
        if sym.kind in ("class", "struct", "interface", "enum"):
            return sym.name
        return sym.type

    def _call_type(self, callee: str, at: int, depth: int) -> str | None:
        if "::" in callee:  # Type::new(), Type::from(...): constructors by convention
            owner = head_of(callee.rpartition("::")[0]).rsplit("::", 1)[-1]
            return owner if owner[:1].isupper() else None
        if _IDENT.match(callee):
            sym = self.visible(callee, at)
            if sym is None and self.index is not None:
                found = self.index.lookup(callee, self.language)
                sym = found[0] if found else None
            if sym is not None and sym.kind == "module" and self.index is not None:
                found = self.index.lookup(callee, self.language)
                sym = found[0] if found else sym
            if sym is not None:
                if sym.kind in ("class", "struct"):
                    return sym.name
                if sym.kind == "module":  # an imported name: constructor by convention
                    return callee if callee[:1].isupper() else None
                return sym.returns
            if self.language == "python" and callee in _PY_CLASSES:
                return callee
            if self.language == "python" and callee in _BUILTIN_RETURNS:
                return _BUILTIN_RETURNS[callee]
            return callee if callee[:1].isupper() else None  # Foo(): a class by convention
        m = _MEMBER.match(callee)
        if m is not None:
            obj, attr = m.group(1), m.group(2)
            owner_type = self.infer(obj, at, depth + 1)
            if owner_type:
                member = self.member(owner_type, attr)
                if member is not None:
                    return member.name if member.kind == "class" else member.returns
            if attr[:1].isupper():
                return attr  # module.Class(): a constructor by convention
        return None


def _better(sym: Symbol, best: Symbol, at: int) -> bool:
    """Innermost scope wins; within one scope the latest definition before ``at`` with a type."""
    if sym.scope_start != best.scope_start:
        return sym.scope_start > best.scope_start
    sym_before, best_before = sym.start <= at, best.start <= at
    if sym_before != best_before:
        return sym_before
    if bool(sym.type) != bool(best.type):
        return bool(sym.type)
    return sym.start > best.start if sym_before else sym.start < best.start


def _callee(expr: str) -> str | None:
    """``a.b(x, y)`` → ``a.b``; None when the parentheses do not close the whole expression."""
    head = _subscripted(expr)
    return head if head and (_ATTR_TAIL.search(head) or "::" in head) else None


def _subscripted(expr: str) -> str | None:
    """What stands before the bracket group that ends ``expr``: ``xs[0]`` → ``xs``."""
    depth = 0
    for i in range(len(expr) - 1, -1, -1):
        ch = expr[i]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            depth -= 1
            if depth == 0:
                return expr[:i].strip() or None
    return None


def infer_type(
    expr: str, at: int, file: FileSymbols, index: MemberSource | None = None
) -> str | None:
    """Type of ``expr`` written at ``at`` in ``file``; None when unknown. Never raises."""
    try:
        return Inferer(file, index).infer(expr, at)
    except Exception:  # inference is a ranking hint; never let it break a request
        return None
