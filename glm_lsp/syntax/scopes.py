"""Enclosing scopes of the cursor from the tree, per language.

Only the ancestors of the node at the cursor are visited (a few dozen nodes at most), never the
whole tree, so this stays in the microseconds on any file size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tree_sitter import Node

_FUNCTION = "function"
_CLASS = "class"

_JS_SCOPES = {
    "function_declaration": _FUNCTION,
    "generator_function_declaration": _FUNCTION,
    "function_expression": _FUNCTION,
    "function": _FUNCTION,
    "generator_function": _FUNCTION,
    "method_definition": _FUNCTION,
    "arrow_function": "lambda",
    "class_declaration": _CLASS,
    "class": _CLASS,
}
_TS_SCOPES = {
    **_JS_SCOPES,
    "abstract_class_declaration": _CLASS,
    "interface_declaration": "interface",
    "internal_module": "namespace",
    "module": "namespace",
    "function_signature": _FUNCTION,
    "method_signature": _FUNCTION,
}
_C_SCOPES = {
    "function_definition": _FUNCTION,
    "struct_specifier": _CLASS,
    "union_specifier": _CLASS,
}

SCOPE_TYPES: dict[str, dict[str, str]] = {
    "python": {
        "function_definition": _FUNCTION,
        "class_definition": _CLASS,
        "lambda": "lambda",
    },
    "javascript": _JS_SCOPES,
    "typescript": _TS_SCOPES,
    "tsx": _TS_SCOPES,
    "go": {
        "function_declaration": _FUNCTION,
        "method_declaration": _FUNCTION,
        "func_literal": "lambda",
        "type_spec": _CLASS,
    },
    "rust": {
        "function_item": _FUNCTION,
        "function_signature_item": _FUNCTION,
        "closure_expression": "lambda",
        "impl_item": "impl",
        "trait_item": "trait",
        "struct_item": _CLASS,
        "enum_item": _CLASS,
        "mod_item": "module",
    },
    "java": {
        "method_declaration": _FUNCTION,
        "constructor_declaration": _FUNCTION,
        "lambda_expression": "lambda",
        "class_declaration": _CLASS,
        "interface_declaration": "interface",
        "enum_declaration": _CLASS,
        "record_declaration": _CLASS,
    },
    "c": _C_SCOPES,
    "cpp": {
        **_C_SCOPES,
        "class_specifier": _CLASS,
        "namespace_definition": "namespace",
        "lambda_expression": "lambda",
    },
}

_DECLARATOR_WRAPPERS = frozenset(
    {
        "pointer_declarator",
        "reference_declarator",
        "function_declarator",
        "parenthesized_declarator",
        "array_declarator",
        "attributed_declarator",
    }
)


@dataclass(frozen=True)
class ScopeNode:
    """A scope as found in the tree; offsets are still bytes (the caller converts)."""

    kind: str
    name: str
    node: Node


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _c_declarator_name(node: Node) -> str:
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type in _DECLARATOR_WRAPPERS:
        decl = decl.child_by_field_name("declarator")
    return _text(decl)


_BINDERS = {
    "variable_declarator": "name",  # JS/TS `const f = …`, Java `Runnable r = …`
    "pair": "key",  # `{ f: () => … }`
    "assignment_expression": "left",  # `obj.f = function () …`
    "assignment": "left",  # Python `f = lambda: …`
    "short_var_declaration": "left",  # Go `f := func() …`
    "var_spec": "name",
    "init_declarator": "declarator",  # C++ `auto f = [](…) …`
    "let_declaration": "pattern",  # Rust `let f = |x| …`
    "public_field_definition": "name",
    "field_definition": "property",
}


def _anonymous_name(node: Node) -> str:
    """Name an anonymous function by what it is bound to (``const f = () => …``)."""
    parent = node.parent
    while parent is not None and parent.type in ("expression_list", "parenthesized_expression"):
        parent = parent.parent
    field = _BINDERS.get(parent.type) if parent is not None else None
    if parent is None or field is None:
        return ""
    named = parent.child_by_field_name(field)
    if named is None or named.id == node.id:
        return ""
    return _text(named).split(",")[0].strip()


_ANONYMOUS = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function",
        "func_literal",
        "lambda_expression",
        "closure_expression",
        "lambda",
    }
)


def scope_name(language: str, node: Node) -> str:
    if language in ("c", "cpp") and node.type == "function_definition":
        return _c_declarator_name(node)
    if language == "rust" and node.type == "impl_item":
        return _text(node.child_by_field_name("type"))
    name = node.child_by_field_name("name")
    if name is not None:
        return _text(name)
    if node.type in _ANONYMOUS:
        return _anonymous_name(node)
    return ""


def enclosing_scopes(
    language: str, node: Node, contains: Callable[[Node], bool]
) -> list[ScopeNode]:
    """Scope nodes among ``node`` and its ancestors, innermost first, for which ``contains``
    holds (the caller decides what 'contains the cursor' means near a node's end)."""
    table = SCOPE_TYPES.get(language, {})
    out: list[ScopeNode] = []
    current: Node | None = node
    while current is not None:
        kind = table.get(current.type)
        if kind is not None and contains(current):
            out.append(ScopeNode(kind, scope_name(language, current), current))
        current = current.parent
    return out


def _strip_annotation(text: str) -> str:
    text = text.strip()
    if text.startswith(":"):
        text = text[1:]
    if text.startswith("->"):
        text = text[2:]
    return text.strip()


def _c_return_type(node: Node) -> str | None:
    base = _text(node.child_by_field_name("type"))
    if not base:
        return None
    stars = ""
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type in _DECLARATOR_WRAPPERS:
        if decl.type == "pointer_declarator":
            stars += "*"
        elif decl.type == "reference_declarator":
            stars += "&"
        decl = decl.child_by_field_name("declarator")
    return base + stars


def return_type(language: str, node: Node) -> str | None:
    """Declared return type of a function scope node, as source text; ``None`` if undeclared."""
    if language in ("c", "cpp"):
        return _c_return_type(node) if node.type == "function_definition" else None
    if language == "java":
        return _text(node.child_by_field_name("type")) or None
    field = "result" if language == "go" else "return_type"
    result = node.child_by_field_name(field)
    if result is None:
        return None
    text = _strip_annotation(_text(result))
    if language == "go" and result.type == "parameter_list" and result.named_child_count == 1:
        text = text.strip("()").strip()
    return text or None
