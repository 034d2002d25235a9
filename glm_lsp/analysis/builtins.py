"""Builtin names and members of builtin types, per language.

Python's come from the running interpreter (``dir``, ``inspect.signature``, first doc line) so
they match the Python the user runs, and never from workspace code. The other languages get a
small hand-written table of the members people reach for most; it is not meant to be complete.
"""

from __future__ import annotations

import builtins as _builtins
import importlib
import inspect
import io
import keyword
import sys
import threading
from functools import cache

from glm_lsp.analysis.builtin_tables import GO_PACKAGES, JS_GLOBALS, TABLES
from glm_lsp.analysis.symbols import FileSymbols, Symbol

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


@cache
def _table_members(language: str, type_name: str) -> tuple[Symbol, ...]:
    table = TABLES.get(language, {})
    spec = table.get(type_name)
    if spec is None:
        return ()
    kind = "function" if language == "go" else "method"
    return _table(spec, type_name, kind)


@cache
def _table_names(language: str) -> tuple[Symbol, ...]:
    if language in ("javascript", "typescript", "tsx"):
        return tuple(Symbol(n, "variable") for n in JS_GLOBALS)
    if language == "go":
        return tuple(Symbol(n, "module") for n in GO_PACKAGES)
    return ()


@cache
def _compiled_in_module(name: str) -> FileSymbols | None:
    if name not in sys.builtin_module_names:
        return None
    module = sys.modules.get(name) or importlib.import_module(name)
    symbols: list[Symbol] = []
    for attr in sorted(dir(module)):
        if attr.startswith("__"):
            continue
        value = getattr(module, attr, None)
        if isinstance(value, type):
            kind = "class"
        elif callable(value):
            kind = "function"
        else:
            kind = "constant"
        symbols.append(
            Symbol(
                attr,
                kind,
                type=type(value).__name__ if kind == "constant" else None,
                signature=_signature(value) if kind != "constant" else None,
                doc=_first_line(getattr(value, "__doc__", None)) if kind != "constant" else None,
            )
        )
    return FileSymbols(f"<built-in module {name}>", "python", symbols)


def compiled_in_module(name: str) -> FileSymbols | None:
    """Top-level names of a module compiled into the running interpreter (``sys``, ``time``…).

    Those have no source file to parse; they are part of the interpreter like ``builtins``, so
    loading them runs no Python code, let alone workspace code. Anything else gives None.
    """
    with _lock:
        return _compiled_in_module(name)


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
