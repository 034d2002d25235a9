"""Type names as text: normalisation, literals, element types, heads, keys and type fit."""

from __future__ import annotations

import pytest

from glm_lsp.analysis.typenames import (
    element_type,
    head_of,
    literal_type,
    normalize_type,
    subscript_type,
    type_fits,
    type_key,
)


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
        ("list[int]", "list", 0.6),
        ("list[str]", "list[int]", 0.6),
        ("mod.Foo", "Foo", 0.8),
        ("Dog", "Animal", 0.8),
        ("Animal", "Dog", -1.0),
        ("int", "float", 0.4),
        ("float", "int", -1.0),
        ("None", "Optional[str]", 1.0),
        ("str", "str | None", 1.0),
        ("None", "str", -1.0),
        ("str", "int", -1.0),
        ("str", "Any", 0.0),
        (None, "int", 0.0),
        ("int", None, 0.0),
    ],
)
def test_type_fits(candidate: str | None, expected: str | None, score: float) -> None:
    assert type_fits(candidate, expected, _Classes()) == pytest.approx(score)


def test_type_fits_without_classes_knows_no_subclass() -> None:
    assert type_fits("Dog", "Animal") == -1.0
    assert type_fits("mod.Dog", "Dog") == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("list[int]", "list"),
        ("struct P *", "P"),
        ("&mut Vec<u8>", "Vec"),
        ("const Foo &", "Foo"),
        ("Optional[str] | None", "Optional"),
        ("str | None", "str"),
        ("*", "*"),
    ],
)
def test_type_key(raw: str, key: str) -> None:
    assert type_key(raw) == key
