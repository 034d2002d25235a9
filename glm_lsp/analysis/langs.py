"""Per-language facts the symbol extractor needs beyond the query captures."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LangInfo:
    function_scopes: frozenset[str]
    """Node types whose names are local to them (parameters and locals live here)."""
    class_scopes: frozenset[str]
    """Node types whose definitions are members (container = the node's name)."""
    literals: dict[str, str]
    """Literal node type → type name, for receiver types in member frequencies."""
    self_names: frozenset[str] = frozenset({"this"})
    docstrings: bool = False
    """Python-style docstrings (first statement of the body) rather than leading comments."""
    constructors: dict[str, str] = field(default_factory=dict)
    """Constructor expression node type → field holding the constructed type."""
    local_scopes: frozenset[str] = frozenset()
    """Node types that are not callables but still keep their names local (comprehensions)."""


_JS_FUNCS = frozenset(
    {
        "function_signature",
        "method_signature",
        "abstract_method_signature",
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
    }
)
_JS_CLASSES = frozenset(
    {
        "class_declaration",
        "class",
        "abstract_class_declaration",
        "interface_declaration",
        "enum_declaration",
    }
)
_JS_LITERALS = {
    "string": "string",
    "template_string": "string",
    "array": "Array",
    "object": "Object",
    "number": "number",
    "regex": "RegExp",
}

_JS_NEW = {"new_expression": "constructor"}

LANGS: dict[str, LangInfo] = {
    "python": LangInfo(
        function_scopes=frozenset({"function_definition", "lambda"}),
        class_scopes=frozenset({"class_definition"}),
        literals={
            "string": "str",
            "concatenated_string": "str",
            "list": "list",
            "list_comprehension": "list",
            "dictionary": "dict",
            "dictionary_comprehension": "dict",
            "set": "set",
            "set_comprehension": "set",
            "tuple": "tuple",
            "integer": "int",
            "float": "float",
            "true": "bool",
            "false": "bool",
        },
        self_names=frozenset({"self", "cls"}),
        docstrings=True,
        local_scopes=frozenset(
            {
                "list_comprehension",
                "set_comprehension",
                "dictionary_comprehension",
                "generator_expression",
            }
        ),
    ),
    "javascript": LangInfo(_JS_FUNCS, _JS_CLASSES, _JS_LITERALS, constructors=_JS_NEW),
    "typescript": LangInfo(_JS_FUNCS, _JS_CLASSES, _JS_LITERALS, constructors=_JS_NEW),
    "tsx": LangInfo(_JS_FUNCS, _JS_CLASSES, _JS_LITERALS, constructors=_JS_NEW),
    "go": LangInfo(
        function_scopes=frozenset(
            {"function_declaration", "method_declaration", "func_literal", "method_elem"}
        ),
        class_scopes=frozenset({"type_spec"}),
        literals={
            "interpreted_string_literal": "string",
            "raw_string_literal": "string",
            "int_literal": "int",
            "float_literal": "float64",
        },
        self_names=frozenset(),
        constructors={"composite_literal": "type"},
    ),
    "rust": LangInfo(
        function_scopes=frozenset(
            {"function_item", "closure_expression", "function_signature_item"}
        ),
        class_scopes=frozenset({"impl_item", "struct_item", "trait_item", "enum_item"}),
        literals={"string_literal": "&str", "raw_string_literal": "&str"},
        self_names=frozenset({"self"}),
        constructors={"struct_expression": "name"},
    ),
    "java": LangInfo(
        function_scopes=frozenset(
            {"method_declaration", "constructor_declaration", "lambda_expression"}
        ),
        class_scopes=frozenset(
            {"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"}
        ),
        literals={"string_literal": "String"},
        constructors={"object_creation_expression": "type"},
    ),
    "c": LangInfo(
        # declarations hold prototypes: their parameters are not file-level names
        function_scopes=frozenset({"function_definition", "declaration"}),
        class_scopes=frozenset({"struct_specifier", "union_specifier"}),
        literals={"string_literal": "char *"},
        self_names=frozenset(),
    ),
    "cpp": LangInfo(
        function_scopes=frozenset(
            {"function_definition", "lambda_expression", "declaration", "field_declaration"}
        ),
        class_scopes=frozenset({"class_specifier", "struct_specifier", "union_specifier"}),
        literals={"string_literal": "const char *"},
        constructors={"new_expression": "type"},
    ),
}
