"""Light type inference over expression text: enough to pick members and rank by type fit.

Deliberately shallow: annotations, constructor calls, literals, return annotations, ``self``
attributes, assignments that copy another name, loop targets and ``with`` targets. Anything
deeper answers None, which the ranking treats as "unknown" rather than "wrong".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from glm_lsp.analysis.symbols import FileSymbols, Symbol

if TYPE_CHECKING:
    from glm_lsp.analysis.index import WorkspaceIndex

_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
    "Text": "str",
    "DefaultDict": "defaultdict",
    "Deque": "deque",
}
_PREFIXES = ("typing.", "typing_extensions.", "t.", "collections.abc.", "collections.")
_IDENT = re.compile(r"[^\W\d]\w*$")
_DOTTED = re.compile(r"[^\W\d][\w.]*$")
_ATTR_TAIL = re.compile(r"(?:^|[\w)\]]\s*\.\s*)[^\W\d]\w*$")
_MEMBER = re.compile(r"^(.+?)\s*\.\s*([^\W\d]\w*)$", re.S)
_SUBSCRIPTED = re.compile(r"^([\w.]+)\s*\[(.*)\]$", re.S)
_QUALIFIERS = re.compile(r"^(?:(?:const|struct|union|enum|mut|dyn|impl)\s+)+")
_GENERIC_ARGS = re.compile(r"^[\w.]+\s*[\[<](.*)[\]>]$", re.S)
_NUMBER = re.compile(r"[-+]?(?:0[xob][\da-f_]+|[\d_]*\.?[\d_]+(?:e[-+]?\d+)?)(j|l|u|f)?$", re.I)
_STRING = re.compile(r"^(?:[rbuf]{0,2})(['\"])", re.I)
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
_NUMERIC = ("bool", "int", "float", "complex")
_MAX_DEPTH = 6


class MemberSource(Protocol):
    """What inference needs from the workspace index (kept narrow for tests)."""

    def lookup(self, name: str, language: str | None = None) -> list[Symbol]: ...
    def members_of(self, type_name: str, language: str) -> list[Symbol]: ...


def split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside brackets (``dict[str, int], int`` → two parts)."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _strip_prefix(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def normalize_type(text: str | None) -> str | None:
    """Canonical spelling of a Python annotation: ``Optional[List[int]]`` → ``list[int] | None``."""
    if text is None:
        return None
    t = " ".join(text.split())
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        t = t[1:-1].strip()
    if not t:
        return None
    return _norm(t)


def _norm(t: str) -> str:
    parts = split_top(t, "|")
    if len(parts) > 1:
        return _union(_norm(p) for p in parts if p)
    m = _SUBSCRIPTED.match(t)
    if not m:
        name = _strip_prefix(t)
        return _ALIASES.get(name, name)
    head = _strip_prefix(m.group(1))
    args = [_norm(a) for a in split_top(m.group(2), ",") if a]
    if head == "Optional" and len(args) == 1:
        return _union([args[0], "None"])
    if head == "Union" and args:
        return _union(args)
    head = _ALIASES.get(head, head)
    return f"{head}[{', '.join(args)}]" if args else head


def _union(parts: Iterable[str]) -> str:
    seen: dict[str, None] = {}
    for part in parts:
        for p in split_top(part, "|"):
            seen[p] = None
    if "None" in seen:  # None last, the way people write it
        del seen["None"]
        seen["None"] = None
    return " | ".join(seen)


def head_of(type_name: str) -> str:
    """``list[int]`` → ``list``; ``Vec<T>`` → ``Vec``; ``pkg.Foo`` stays whole."""
    t = type_name.strip().lstrip("&*").strip()
    t = _QUALIFIERS.sub("", t).lstrip("&*")
    for opener in "[<":
        i = t.find(opener)
        if i > 0:
            t = t[:i]
    return t.rstrip("*& ").strip()


def _args_of(type_name: str) -> list[str]:
    m = _GENERIC_ARGS.match(type_name.strip())
    return [a for a in split_top(m.group(1), ",") if a] if m else []


def element_type(type_name: str | None) -> str | None:
    """What iterating a value of this type yields (``for x in xs``)."""
    if not type_name:
        return None
    head = head_of(type_name)
    args = _args_of(type_name)
    if head in ("str",):
        return "str"
    if head in ("bytes", "bytearray", "range"):
        return "int"
    if head == "enumerate" and args:
        return f"tuple[int, {args[0]}]"
    if head == "tuple" and args:
        if len(args) == 2 and args[1] == "...":
            return args[0]
        return _union(args)
    if args and head not in ("Callable",):
        return args[0]
    if head == "TextIOWrapper":
        return "str"
    return None


def subscript_type(type_name: str | None) -> str | None:
    """What ``x[i]`` yields for a value of this type."""
    if not type_name:
        return None
    head = head_of(type_name)
    args = _args_of(type_name)
    if head in ("dict", "Mapping", "MutableMapping", "defaultdict", "OrderedDict", "Counter"):
        return args[1] if len(args) == 2 else ("int" if head == "Counter" else None)
    if head in ("str", "bytes"):
        return head
    return element_type(type_name)


def literal_type(expr: str) -> str | None:
    """Type of a Python literal written as text (None when it is not a literal)."""
    e = expr.strip()
    if not e:
        return None
    if _STRING.match(e) and e[-1] in "'\"":
        return "bytes" if e[0] in "bB" or e[:2].lower() in ("rb", "br") else "str"
    if e in ("True", "False"):
        return "bool"
    if e == "None":
        return "None"
    if _NUMBER.match(e) and any(c.isdigit() for c in e):
        if e.lower().endswith("j"):
            return "complex"
        is_float = ("." in e or "e" in e.lower()) and not e.lower().startswith("0x")
        return "float" if is_float else "int"
    pairs = {"[": ("]", "list"), "(": (")", "tuple"), "{": ("}", "dict")}
    if e[0] in pairs and e[-1] == pairs[e[0]][0]:
        kind = pairs[e[0]][1]
        inner = e[1:-1].strip()
        if kind == "tuple" and inner and len(split_top(inner, ",")) == 1:
            return None  # parenthesised expression, not a tuple
        if kind == "dict" and inner and ":" not in inner:
            return "set"
        if kind == "list" and inner and " for " not in inner:
            first = literal_type(split_top(inner, ",")[0])
            return f"list[{first}]" if first and first != "None" else "list"
        return kind
    return None


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

    def replace(self, old: Symbol, new: Symbol) -> None:
        """Keep the name map current when the extractor fills in an inferred type."""
        bucket = self.names.get(old.name, [])
        for i, s in enumerate(bucket):
            if s is old:
                bucket[i] = new

    def visible(self, name: str, at: int) -> Symbol | None:
        """The definition of ``name`` that is in scope at ``at`` (innermost, latest typed)."""
        best: Symbol | None = None
        for sym in self.names.get(name, ()):
            if sym.container is not None and not sym.local:
                continue  # members are reached through their receiver
            if not sym.scope_start <= at <= max(sym.scope_end, sym.scope_start):
                continue
            if best is None or _better(sym, best, at):
                best = sym
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
        from glm_lsp.analysis.builtins import builtin_members

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
        if e.startswith("f") and _STRING.match(e):
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
    depth = 0
    for i in range(len(expr) - 1, -1, -1):
        ch = expr[i]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            depth -= 1
            if depth == 0:
                head = expr[:i].strip()
                return head if head and (_ATTR_TAIL.search(head) or "::" in head) else None
    return None


def _subscripted(expr: str) -> str | None:
    depth = 0
    for i in range(len(expr) - 1, -1, -1):
        ch = expr[i]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            depth -= 1
            if depth == 0:
                head = expr[:i].strip()
                return head or None
    return None


def infer_type(
    expr: str, at: int, file: FileSymbols, index: WorkspaceIndex | None = None
) -> str | None:
    """Type of ``expr`` written at ``at`` in ``file``; None when unknown. Never raises."""
    try:
        return Inferer(file, index).infer(expr, at)
    except Exception:  # inference is a ranking hint; never let it break a request
        return None


def type_fits(candidate_type: str | None, expected_type: str | None, index: object = None) -> float:
    """How well a value of ``candidate_type`` fits where ``expected_type`` is wanted, in [0, 1].

    1 exact; 0.9 subclass (via the index's classes); 0.8 same generic base (``list[int]`` for
    ``list``); 0.7 numeric widening or ``None`` for an optional; 0.5 unknown or ``Any``; 0 a
    clear mismatch.
    """
    if not candidate_type or not expected_type:
        return 0.5
    c = normalize_type(candidate_type) or candidate_type
    e = normalize_type(expected_type) or expected_type
    if c == e:
        return 1.0
    expected_parts = split_top(e, "|")
    candidate_parts = split_top(c, "|")
    if len(candidate_parts) > 1:
        return min(type_fits(p, e, index) for p in candidate_parts)
    if len(expected_parts) > 1:
        return max(type_fits(c, p, index) for p in expected_parts)
    if e in ("Any", "object", "any", "interface{}", "unknown"):
        return 0.5
    if c == "None":
        return 0.0
    ch, eh = head_of(c), head_of(e)
    if ch == eh:
        return 0.8
    if ch.rsplit(".", 1)[-1] == eh.rsplit(".", 1)[-1]:
        return 0.9
    if ch in _NUMERIC and eh in _NUMERIC:
        return 0.7 if _NUMERIC.index(ch) < _NUMERIC.index(eh) else 0.0
    is_subclass = getattr(index, "is_subclass", None)
    if is_subclass is not None and is_subclass(ch, eh):
        return 0.9
    return 0.0
