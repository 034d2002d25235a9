"""Type normalisation, literals, element types, type fit and expression inference."""

from __future__ import annotations

import pytest

from glm_lsp.analysis.symbols import Symbol, extract_symbols
from glm_lsp.analysis.types import (
    element_type,
    head_of,
    infer_type,
    literal_type,
    normalize_type,
    subscript_type,
    type_fits,
)
from glm_lsp.syntax.languages import spec_for


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("List[int]", "list[int]"),
        ("typing.Dict[str, List[int]]", "dict[str, list[int]]"),
        ("Optional[Foo]", "Foo | None"),
        ("Optional[Union[int, str]]", "int | str | None"),
        ("Union[None, int]", "int | None"),
        ("'Model'", "Model"),
        ('"list[  str ]"', "list[str]"),
        ("int|None", "int | None"),
        ("Tuple[int, ...]", "tuple[int, ...]"),
        ("Callable[[int], str]", "Callable[[int], str]"),
        ("", None),
        # error recovery glued the next statement onto a half-typed annotation
        ("int = for sku, wanted in lines.items(): item", "int"),
        ("dict[str,\n    int]\nx = 1", "dict[str, int]"),
        ("(a: number) => void", "(a: number) => void"),
    ],
)
def test_normalize_type(raw: str, expected: str | None) -> None:
    assert normalize_type(raw) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('""', "str"),
        ("'x'", "str"),
        ('f"{a}"', "str"),
        ('b"x"', "bytes"),
        ("[]", "list"),
        ("[1, 2]", "list[int]"),
        ("[x for x in y]", "list"),
        ("{}", "dict"),
        ("{'a': 1}", "dict"),
        ("{1, 2}", "set"),
        ("(1, 2)", "tuple"),
        ("()", "tuple"),
        ("(a)", None),
        ("42", "int"),
        ("0x1F", "int"),
        ("3.5", "float"),
        ("1e3", "float"),
        ("2j", "complex"),
        ("True", "bool"),
        ("None", "None"),
        ("name", None),
    ],
)
def test_literal_type(expr: str, expected: str | None) -> None:
    assert literal_type(expr) == expected


@pytest.mark.parametrize(
    ("type_name", "element", "subscript"),
    [
        ("list[int]", "int", "int"),
        ("dict[str, Foo]", "str", "Foo"),
        ("tuple[int, ...]", "int", "int"),
        ("tuple[int, str]", "int | str", "int | str"),
        ("str", "str", "str"),
        ("bytes", "int", "bytes"),
        ("Iterator[Row]", "Row", "Row"),
        ("int", None, None),
        (None, None, None),
    ],
)
def test_element_and_subscript_types(
    type_name: str | None, element: str | None, subscript: str | None
) -> None:
    assert element_type(type_name) == element
    assert subscript_type(type_name) == subscript


@pytest.mark.parametrize(
    ("type_name", "head"),
    [
        ("list[int]", "list"),
        ("&mut Vec<T>", "Vec"),
        ("const struct P *", "P"),
        ("pkg.Foo", "pkg.Foo"),
    ],
)
def test_head_of(type_name: str, head: str) -> None:
    assert head_of(type_name) == head


class _Classes:
    """Stand-in index that knows one inheritance edge."""

    def is_subclass(self, child: str, parent: str) -> bool:
        return (child, parent) == ("Dog", "Animal")


@pytest.mark.parametrize(
    ("candidate", "expected", "score"),
    [
        ("int", "int", 1.0),
        ("List[int]", "list[int]", 1.0),
        ("list[int]", "list", 0.8),
        ("list[str]", "list[int]", 0.8),
        ("mod.Foo", "Foo", 0.9),
        ("Dog", "Animal", 0.9),
        ("Animal", "Dog", 0.0),
        ("int", "float", 0.7),
        ("float", "int", 0.0),
        ("None", "Optional[str]", 1.0),
        ("str", "str | None", 1.0),
        ("None", "str", 0.0),
        ("str", "int", 0.0),
        ("str", "Any", 0.5),
        (None, "int", 0.5),
        ("int", None, 0.5),
    ],
)
def test_type_fits(candidate: str | None, expected: str | None, score: float) -> None:
    assert type_fits(candidate, expected, _Classes()) == pytest.approx(score)


SOURCE = """\
class Repo:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.name = "r"

    def first(self) -> Row:
        return self.rows[0]

    def scan(self):
        for row in self.rows:
            pass
        here = 1

def make() -> Repo:
    return Repo()

repo = make()
copy = repo
"""


@pytest.mark.parametrize(
    ("expr", "anchor", "expected"),
    [
        ("repo", "copy =", "Repo"),
        ("copy", "copy =", "Repo"),
        ("repo.rows", "copy =", "list[Row]"),
        ("repo.rows[0]", "copy =", "Row"),
        ("repo.first()", "copy =", "Row"),
        ("make().name", "copy =", "str"),
        ("self", "here = 1", "Repo"),
        ("self.rows", "here = 1", "list[Row]"),
        ("row", "pass", "Row"),
        ("Repo()", "copy =", "Repo"),
        ("len(x)", "copy =", "int"),
        ("str(x)", "copy =", "str"),
        ("repo.name.upper()", "copy =", "str"),
        ("repo.name.split()", "copy =", "list[str]"),
        ("[1]", "copy =", "list[int]"),
        ("unknown_name", "copy =", None),
        ("(((", "copy =", None),
    ],
)
def test_infer_type(expr: str, anchor: str, expected: str | None) -> None:
    fs = extract_symbols(spec_for("python"), SOURCE, None, "repo.py")
    assert infer_type(expr, SOURCE.index(anchor), fs) == expected


def test_infer_type_uses_the_index_for_names_from_other_files() -> None:
    class Index:
        def lookup(self, name: str, language: str | None = None) -> list[Symbol]:
            return [Symbol("Widget", "class")] if name == "Widget" else []

        def members_of(self, type_name: str, language: str) -> list[Symbol]:
            return [Symbol("size", "field", type="int", container="Widget")]

    fs = extract_symbols(spec_for("python"), "w = Widget()\n", None, "a.py")
    assert fs.symbols[0].type == "Widget"  # constructor by convention, before any index
    assert infer_type("Widget().size", 5, fs, Index()) == "int"  # type: ignore[arg-type]
