"""Builtin names and members of builtin types, per language.

Python's come from the running interpreter (``dir``, ``inspect.signature``, first doc line) so
they match the Python the user runs, and never from workspace code. The other languages get a
small hand-written table of the members people reach for most; it is not meant to be complete.
"""

from __future__ import annotations

import builtins as _builtins
import inspect
import io
import keyword
import threading
from functools import cache

from glm_lsp.analysis.symbols import Symbol

# Return types the interpreter does not annotate, for chains like ``s.strip().`` (Python only).
_PY_RETURNS: dict[str, dict[str, str]] = {
    "str": {
        **dict.fromkeys(
            "capitalize casefold center expandtabs format format_map join ljust lower lstrip "
            "removeprefix removesuffix replace rjust rstrip strip swapcase title translate upper "
            "zfill".split(),
            "str",
        ),
        **dict.fromkeys("split rsplit splitlines".split(), "list[str]"),
        **dict.fromkeys("partition rpartition".split(), "tuple[str, str, str]"),
        **dict.fromkeys("count find index rfind rindex".split(), "int"),
        **dict.fromkeys(
            "endswith startswith isalnum isalpha isascii isdecimal isdigit isidentifier islower "
            "isnumeric isprintable isspace istitle isupper".split(),
            "bool",
        ),
        "encode": "bytes",
    },
    "bytes": {"decode": "str", "hex": "str", "split": "list[bytes]", "strip": "bytes"},
    "list": {"copy": "list", "count": "int", "index": "int"},
    "dict": {"keys": "dict_keys", "values": "dict_values", "items": "dict_items", "copy": "dict"},
    "set": {"copy": "set", "union": "set", "intersection": "set", "difference": "set"},
    "TextIOWrapper": {"read": "str", "readline": "str", "readlines": "list[str]", "write": "int"},
}
_PY_EXTRA_TYPES = {"TextIOWrapper": io.TextIOWrapper, "BufferedReader": io.BufferedReader}

_lock = threading.Lock()


def _first_line(doc: str | None) -> str | None:
    if not doc:
        return None
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip()
    return None


def _signature(obj: object) -> str | None:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@cache
def _python_names() -> tuple[Symbol, ...]:
    out: list[Symbol] = []
    for name, value in sorted(vars(_builtins).items()):
        if name.startswith("_") or keyword.iskeyword(name):
            continue
        if isinstance(value, type):
            kind = "class"
        elif callable(value):
            kind = "function"
        else:
            kind = "constant"
        sig = _signature(value) if kind != "constant" else None
        doc = _first_line(getattr(value, "__doc__", None)) if kind != "constant" else None
        out.append(Symbol(name, kind, signature=sig, doc=doc))
    return tuple(out)


@cache
def _python_members(type_name: str) -> tuple[Symbol, ...]:
    cls = _PY_EXTRA_TYPES.get(type_name) or getattr(_builtins, type_name, None)
    if not isinstance(cls, type):
        return ()
    returns = _PY_RETURNS.get(type_name, {})
    out: list[Symbol] = []
    for name in dir(cls):
        try:
            value = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if callable(value) or isinstance(value, (classmethod, staticmethod)):
            kind = "method"
            sig = _signature(getattr(cls, name, value))
        else:
            kind, sig = "property", None
        doc = _first_line(getattr(value, "__doc__", None))
        out.append(
            Symbol(
                name,
                kind,
                signature=sig,
                container=type_name,
                doc=doc,
                returns=returns.get(name),
            )
        )
    return tuple(out)


def _table(spec: dict[str, str], container: str | None, kind: str) -> tuple[Symbol, ...]:
    """``{"push": "(...items) -> number"}`` → method symbols with the signature as written."""
    out: list[Symbol] = []
    for name, sig in spec.items():
        returns = sig.rpartition("-> ")[2] if "-> " in sig else None
        out.append(Symbol(name, kind, signature=sig or None, container=container, returns=returns))
    return tuple(out)


_JS_MEMBERS: dict[str, dict[str, str]] = {
    "Array": {
        "length": "",
        "push": "(...items) -> number",
        "pop": "() -> T",
        "shift": "() -> T",
        "unshift": "(...items) -> number",
        "slice": "(start?, end?) -> Array",
        "splice": "(start, deleteCount?, ...items) -> Array",
        "concat": "(...items) -> Array",
        "join": "(separator?) -> string",
        "indexOf": "(item) -> number",
        "includes": "(item) -> boolean",
        "find": "(predicate) -> T",
        "findIndex": "(predicate) -> number",
        "filter": "(predicate) -> Array",
        "map": "(fn) -> Array",
        "forEach": "(fn) -> void",
        "reduce": "(fn, initial?)",
        "some": "(predicate) -> boolean",
        "every": "(predicate) -> boolean",
        "sort": "(compare?) -> Array",
        "reverse": "() -> Array",
        "flat": "(depth?) -> Array",
        "flatMap": "(fn) -> Array",
        "keys": "()",
        "entries": "()",
    },
    "string": {
        "length": "",
        "charAt": "(index) -> string",
        "includes": "(search) -> boolean",
        "startsWith": "(search) -> boolean",
        "endsWith": "(search) -> boolean",
        "indexOf": "(search) -> number",
        "slice": "(start, end?) -> string",
        "substring": "(start, end?) -> string",
        "split": "(separator) -> Array",
        "trim": "() -> string",
        "toLowerCase": "() -> string",
        "toUpperCase": "() -> string",
        "replace": "(pattern, replacement) -> string",
        "replaceAll": "(pattern, replacement) -> string",
        "padStart": "(length, fill?) -> string",
        "match": "(regexp)",
        "repeat": "(count) -> string",
    },
    "Object": {
        "keys": "(obj) -> Array",
        "values": "(obj) -> Array",
        "entries": "(obj) -> Array",
        "assign": "(target, ...sources)",
        "freeze": "(obj)",
        "hasOwnProperty": "(key) -> boolean",
    },
    "Promise": {
        "then": "(onFulfilled, onRejected?) -> Promise",
        "catch": "(onRejected) -> Promise",
        "finally": "(fn) -> Promise",
        "all": "(promises) -> Promise",
        "resolve": "(value) -> Promise",
        "reject": "(reason) -> Promise",
    },
    "Map": {
        "get": "(key)",
        "set": "(key, value) -> Map",
        "has": "(key) -> boolean",
        "delete": "(key) -> boolean",
        "clear": "() -> void",
        "size": "",
        "keys": "()",
        "values": "()",
        "entries": "()",
        "forEach": "(fn) -> void",
    },
    "Set": {
        "add": "(value) -> Set",
        "has": "(value) -> boolean",
        "delete": "(value) -> boolean",
        "clear": "() -> void",
        "size": "",
        "forEach": "(fn) -> void",
        "values": "()",
    },
    "console": {
        "log": "(...data) -> void",
        "error": "(...data) -> void",
        "warn": "(...data) -> void",
        "info": "(...data) -> void",
        "debug": "(...data) -> void",
        "table": "(data) -> void",
    },
    "Math": {
        "abs": "(x) -> number",
        "floor": "(x) -> number",
        "ceil": "(x) -> number",
        "round": "(x) -> number",
        "max": "(...values) -> number",
        "min": "(...values) -> number",
        "random": "() -> number",
        "sqrt": "(x) -> number",
        "pow": "(x, y) -> number",
        "PI": "",
    },
    "JSON": {"parse": "(text)", "stringify": "(value, replacer?, space?) -> string"},
}
_JS_MEMBERS["String"] = _JS_MEMBERS["string"]
_JS_GLOBALS = (
    "console Math JSON Object Array String Number Boolean Promise Map Set Date Error "
    "RegExp Symbol parseInt parseFloat isNaN setTimeout clearTimeout setInterval "
    "clearInterval undefined NaN Infinity globalThis"
).split()

_GO_PACKAGES: dict[str, dict[str, str]] = {
    "fmt": {
        "Println": "(a ...any) (n int, err error)",
        "Printf": "(format string, a ...any)",
        "Sprintf": "(format string, a ...any) string",
        "Errorf": "(format string, a ...any) error",
        "Fprintf": "(w io.Writer, format string, a ...any)",
        "Sprint": "(a ...any) string",
        "Print": "(a ...any)",
    },
    "strings": {
        "Contains": "(s, substr string) bool",
        "HasPrefix": "(s, prefix string) bool",
        "HasSuffix": "(s, suffix string) bool",
        "Split": "(s, sep string) []string",
        "Join": "(elems []string, sep string) string",
        "TrimSpace": "(s string) string",
        "Trim": "(s, cutset string) string",
        "ToLower": "(s string) string",
        "ToUpper": "(s string) string",
        "Replace": "(s, old, new string, n int) string",
        "ReplaceAll": "(s, old, new string) string",
        "Index": "(s, substr string) int",
        "Fields": "(s string) []string",
        "Builder": "",
    },
    "errors": {
        "New": "(text string) error",
        "Is": "(err, target error) bool",
        "As": "(err error, target any) bool",
        "Unwrap": "(err error) error",
    },
}

_RUST_MEMBERS: dict[str, dict[str, str]] = {
    "Vec": {
        "push": "(&mut self, value: T)",
        "pop": "(&mut self) -> Option<T>",
        "len": "(&self) -> usize",
        "is_empty": "(&self) -> bool",
        "iter": "(&self) -> Iter<T>",
        "iter_mut": "(&mut self) -> IterMut<T>",
        "get": "(&self, index: usize) -> Option<&T>",
        "insert": "(&mut self, index: usize, element: T)",
        "remove": "(&mut self, index: usize) -> T",
        "clear": "(&mut self)",
        "extend": "(&mut self, iter: I)",
        "contains": "(&self, x: &T) -> bool",
        "sort": "(&mut self)",
        "truncate": "(&mut self, len: usize)",
        "with_capacity": "(capacity: usize) -> Vec<T>",
        "new": "() -> Vec<T>",
    },
    "String": {
        "push_str": "(&mut self, s: &str)",
        "push": "(&mut self, ch: char)",
        "len": "(&self) -> usize",
        "is_empty": "(&self) -> bool",
        "as_str": "(&self) -> &str",
        "chars": "(&self) -> Chars",
        "trim": "(&self) -> &str",
        "split": "(&self, pat: P) -> Split<P>",
        "contains": "(&self, pat: P) -> bool",
        "starts_with": "(&self, pat: P) -> bool",
        "to_uppercase": "(&self) -> String",
        "to_lowercase": "(&self) -> String",
        "new": "() -> String",
        "from": "(s: &str) -> String",
        "clone": "(&self) -> String",
    },
    "Option": {
        "unwrap": "(self) -> T",
        "expect": "(self, msg: &str) -> T",
        "is_some": "(&self) -> bool",
        "is_none": "(&self) -> bool",
        "map": "(self, f: F) -> Option<U>",
        "unwrap_or": "(self, default: T) -> T",
        "and_then": "(self, f: F) -> Option<U>",
        "ok_or": "(self, err: E) -> Result<T, E>",
        "as_ref": "(&self) -> Option<&T>",
        "take": "(&mut self) -> Option<T>",
    },
    "Result": {
        "unwrap": "(self) -> T",
        "expect": "(self, msg: &str) -> T",
        "is_ok": "(&self) -> bool",
        "is_err": "(&self) -> bool",
        "map": "(self, op: F) -> Result<U, E>",
        "map_err": "(self, op: O) -> Result<T, F>",
        "ok": "(self) -> Option<T>",
        "unwrap_or": "(self, default: T) -> T",
        "and_then": "(self, op: F) -> Result<U, E>",
    },
    "Iterator": {
        "next": "(&mut self) -> Option<Self::Item>",
        "map": "(self, f: F) -> Map<Self, F>",
        "filter": "(self, predicate: P) -> Filter<Self, P>",
        "collect": "(self) -> B",
        "enumerate": "(self) -> Enumerate<Self>",
        "count": "(self) -> usize",
        "sum": "(self) -> S",
        "fold": "(self, init: B, f: F) -> B",
        "any": "(&mut self, f: F) -> bool",
        "all": "(&mut self, f: F) -> bool",
        "find": "(&mut self, predicate: P) -> Option<Self::Item>",
        "zip": "(self, other: U) -> Zip<Self, U>",
        "rev": "(self) -> Rev<Self>",
        "take": "(self, n: usize) -> Take<Self>",
        "skip": "(self, n: usize) -> Skip<Self>",
    },
}
for _it in ("Iter", "IterMut", "Map", "Filter", "Enumerate", "Chars", "Zip", "Rev", "Take", "Skip"):
    _RUST_MEMBERS[_it] = _RUST_MEMBERS["Iterator"]
_RUST_MEMBERS["&str"] = _RUST_MEMBERS["str"] = _RUST_MEMBERS["String"]

_JAVA_MEMBERS: dict[str, dict[str, str]] = {
    "String": {
        "length": "() -> int",
        "charAt": "(int index) -> char",
        "substring": "(int begin, int end) -> String",
        "indexOf": "(String str) -> int",
        "contains": "(CharSequence s) -> boolean",
        "equals": "(Object other) -> boolean",
        "isEmpty": "() -> boolean",
        "startsWith": "(String prefix) -> boolean",
        "endsWith": "(String suffix) -> boolean",
        "split": "(String regex) -> String[]",
        "trim": "() -> String",
        "toLowerCase": "() -> String",
        "toUpperCase": "() -> String",
        "replace": "(CharSequence target, CharSequence replacement) -> String",
        "format": "(String format, Object... args) -> String",
    },
    "List": {
        "add": "(E e) -> boolean",
        "get": "(int index) -> E",
        "size": "() -> int",
        "isEmpty": "() -> boolean",
        "contains": "(Object o) -> boolean",
        "remove": "(int index) -> E",
        "set": "(int index, E element) -> E",
        "clear": "() -> void",
        "indexOf": "(Object o) -> int",
        "stream": "() -> Stream<E>",
        "forEach": "(Consumer<E> action) -> void",
        "addAll": "(Collection<E> c) -> boolean",
    },
    "Map": {
        "get": "(Object key) -> V",
        "put": "(K key, V value) -> V",
        "containsKey": "(Object key) -> boolean",
        "remove": "(Object key) -> V",
        "size": "() -> int",
        "isEmpty": "() -> boolean",
        "keySet": "() -> Set<K>",
        "values": "() -> Collection<V>",
        "entrySet": "() -> Set<Map.Entry<K, V>>",
        "getOrDefault": "(Object key, V defaultValue) -> V",
        "putIfAbsent": "(K key, V value) -> V",
    },
}
for _alias, _base in (
    ("ArrayList", "List"),
    ("LinkedList", "List"),
    ("HashMap", "Map"),
    ("TreeMap", "Map"),
):
    _JAVA_MEMBERS[_alias] = _JAVA_MEMBERS[_base]

_CPP_MEMBERS: dict[str, dict[str, str]] = {
    "string": {
        "size": "() -> size_t",
        "length": "() -> size_t",
        "empty": "() -> bool",
        "substr": "(size_t pos, size_t len) -> string",
        "find": "(const string& s) -> size_t",
        "c_str": "() -> const char*",
        "append": "(const string& s) -> string&",
        "push_back": "(char c) -> void",
        "clear": "() -> void",
        "begin": "()",
        "end": "()",
        "compare": "(const string& s) -> int",
        "at": "(size_t pos) -> char&",
    },
    "vector": {
        "push_back": "(const T& value) -> void",
        "emplace_back": "(Args&&... args) -> T&",
        "pop_back": "() -> void",
        "size": "() -> size_t",
        "empty": "() -> bool",
        "clear": "() -> void",
        "begin": "()",
        "end": "()",
        "front": "() -> T&",
        "back": "() -> T&",
        "at": "(size_t pos) -> T&",
        "reserve": "(size_t n) -> void",
        "resize": "(size_t n) -> void",
        "insert": "(iterator pos, const T& value)",
        "erase": "(iterator pos)",
        "data": "() -> T*",
    },
}
_CPP_MEMBERS["std::string"] = _CPP_MEMBERS["string"]
_CPP_MEMBERS["std::vector"] = _CPP_MEMBERS["vector"]

_TABLES: dict[str, dict[str, dict[str, str]]] = {
    "javascript": _JS_MEMBERS,
    "typescript": _JS_MEMBERS,
    "tsx": _JS_MEMBERS,
    "go": _GO_PACKAGES,
    "rust": _RUST_MEMBERS,
    "java": _JAVA_MEMBERS,
    "cpp": _CPP_MEMBERS,
}


@cache
def _table_members(language: str, type_name: str) -> tuple[Symbol, ...]:
    table = _TABLES.get(language, {})
    spec = table.get(type_name)
    if spec is None:
        return ()
    kind = "function" if language == "go" else "method"
    return _table(spec, type_name, kind)


@cache
def _table_names(language: str) -> tuple[Symbol, ...]:
    if language in ("javascript", "typescript", "tsx"):
        return tuple(Symbol(n, "variable") for n in _JS_GLOBALS)
    if language == "go":
        return tuple(Symbol(n, "module") for n in _GO_PACKAGES)
    return ()


def builtin_names(language: str) -> list[Symbol]:
    """Names available everywhere in a file of ``language`` without an import."""
    with _lock:
        if language == "python":
            return list(_python_names())
        return list(_table_names(language))


def builtin_members(language: str, type_name: str) -> list[Symbol]:
    """Members of a builtin type (``str``, ``Array``, ``Vec``…); empty for unknown types."""
    with _lock:
        if language == "python":
            return list(_python_members(type_name))
        return list(_table_members(language, type_name))
