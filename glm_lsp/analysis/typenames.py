"""Type names as text: normalisation, generic arguments, literals and type fit.

Pure functions over type strings (``"list[int]"``, ``"Vec<T>"``, ``"struct P *"``), shared by
inference, the index and the ranking; no symbols involved except through ``is_subclass``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

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
_SUBSCRIPTED = re.compile(r"^([\w.]+)\s*\[(.*)\]$", re.S)
_QUALIFIERS = re.compile(r"^(?:(?:const|struct|union|enum|mut|dyn|impl)\s+)+")
_GENERIC_ARGS = re.compile(r"^[\w.]+\s*[\[<](.*)[\]>]$", re.S)
_NUMBER = re.compile(r"[-+]?(?:0[xob][\da-f_]+|[\d_]*\.?[\d_]+(?:e[-+]?\d+)?)(j|l|u|f)?$", re.I)
STRING_START = re.compile(r"^(?:[rbuf]{0,2})(['\"])", re.I)
_NUMERIC = ("bool", "int", "float", "complex")


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
    t = " ".join(_clip_type(text).split())
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        t = t[1:-1].strip()
    if not t:
        return None
    return _norm(t)


def _clip_type(text: str) -> str:
    """The type expression alone, when error recovery glued the next statement onto it.

    Half-typed code such as ``budget: int = `` followed by a ``for`` loop parses with an
    annotation node spanning ``int = for …``; the type ends at the first top-level ``=`` (not
    ``==``/``=>``/``<=``/``>=``/``!=``) or line break.
    """
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in "\n;":
            return text[:i]
        elif depth == 0 and ch == "=":
            nxt = text[i + 1 : i + 2]
            prev = text[i - 1 : i]
            if nxt not in ("=", ">") and prev not in ("=", "!", "<", ">"):
                return text[:i]
    return text


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


@lru_cache(maxsize=8192)
def literal_type(expr: str) -> str | None:
    """Type of a Python literal written as text (None when it is not a literal)."""
    e = expr.strip()
    if not e:
        return None
    if STRING_START.match(e) and e[-1] in "'\"":
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


class Subclasses(Protocol):
    """What type fit needs from the workspace index (kept narrow for tests)."""

    def is_subclass(self, child: str, parent: str) -> bool: ...


def type_fits(
    candidate_type: str | None, expected_type: str | None, classes: Subclasses | None = None
) -> float:
    """How well a value of ``candidate_type`` fits where ``expected_type`` is wanted, in [-1, 1].

    1 exact; 0.8 subclass (through ``classes``, else by the last dotted part); 0.6 same generic
    base (``list[int]`` for ``list``); 0.4 numeric widening (``int`` for ``float``); 0 either is
    unknown, or ``Any``; -1 a clear mismatch. A union fits as its worst member does, and fits
    a union as well as it fits its best member (``None`` fits ``str | None``).
    """
    if not candidate_type or not expected_type:
        return 0.0
    c = normalize_type(candidate_type) or candidate_type
    e = normalize_type(expected_type) or expected_type
    if c == e:
        return 1.0
    expected_parts = split_top(e, "|")
    candidate_parts = split_top(c, "|")
    if len(candidate_parts) > 1:
        return min(type_fits(p, e, classes) for p in candidate_parts)
    if len(expected_parts) > 1:
        return max(type_fits(c, p, classes) for p in expected_parts)
    if e in ("Any", "object", "any", "interface{}", "unknown"):
        return 0.0
    if c == "None":
        return -1.0
    ch, eh = head_of(c), head_of(e)
    if ch == eh:
        return 0.6
    if ch.rsplit(".", 1)[-1] == eh.rsplit(".", 1)[-1]:
        return 0.8
    if ch in _NUMERIC and eh in _NUMERIC:
        return 0.4 if _NUMERIC.index(ch) < _NUMERIC.index(eh) else -1.0
    if classes is not None and classes.is_subclass(ch, eh):
        return 0.8
    return -1.0


GENERIC_TAIL = re.compile(r"[\[<].*", re.S)
"""Generic arguments to the end: ``Vec<T>`` → ``<T>``, ``list[int]`` → ``[int]``."""
_TYPE_PREFIX = re.compile(r"^(?:(?:struct|union|enum|class|mut|const)\s+)+")


@lru_cache(maxsize=4096)
def type_key(type_name: str) -> str:
    """Receiver key type: the head without generic arguments (``list[int]`` → ``list``)."""
    t = type_name.strip()
    if "|" in t:
        parts = [p.strip() for p in t.split("|") if p.strip() not in ("None", "null", "undefined")]
        t = parts[0] if parts else t
    t = t.strip("&* ")
    t = _TYPE_PREFIX.sub("", t)
    return GENERIC_TAIL.sub("", t).strip() or type_name
