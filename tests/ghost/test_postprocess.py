"""Each post-processing rule on its own table, then the chain."""

from __future__ import annotations

import pytest

from glm_lsp.ghost.postprocess import (
    PostContext,
    adds_parse_errors,
    balance_brackets,
    clean,
    cut_suffix_repeat,
    drop_duplicate_lines,
    first_line_only,
    normalize_newlines,
    parse_errors,
    repair_member,
    stop_at_scope_end,
    trim_leading_space,
)
from glm_lsp.syntax.languages import spec_for

PY = spec_for("python")
JS = spec_for("javascript")


@pytest.mark.parametrize(
    ("text", "line_prefix", "suffix", "expected"),
    [
        # the first line repeats the rest of the current line
        ("a, b):", "def f(", "):\n    pass", "a, b"),
        ("g(a)):", "def f(", "):", "g(a)"),
        ("f(a)", "x = (", ")", "f(a)"),  # its own closer, not a repeat
        ("x + 1", "y = ", "", "x + 1"),
        # a suggested line equals the next line of the document
        ("x = 1\n    return x", "    ", "\n    return x\n", "x = 1"),
        ("return x", "    ", "\n    return x\n", ""),
        ("total = 0\n    for i in r:", "    ", "\n    for i in r:\n        pass", "total = 0"),
        ("a = 1\nb = 2", "", "\nc = 3", "a = 1\nb = 2"),
        ("}", "  foo();\n", "\n}", "}"),  # exact lines only: indentation differs
    ],
)
def test_cut_suffix_repeat(text: str, line_prefix: str, suffix: str, expected: str) -> None:
    assert cut_suffix_repeat(text, line_prefix, suffix) == expected


@pytest.mark.parametrize(
    ("text", "line_prefix", "suffix", "expected"),
    [
        ("a = 1\n    b = 2\n    c = 3", "    ", "\n    x = 0\n    c = 3", "a = 1\n    b = 2"),
        ("a = 1\n    }", "    ", "\n    }\n", "a = 1\n    }"),  # trivial lines stay
        ("print(x)", "    ", "\n    y = 1\n    print(x)", ""),
        ("z = 9", "    ", "\n    print(x)", "z = 9"),
        ("a = 1\n    far = 1", "    ", "\n    1\n    2\n    3\n    far = 1", "a = 1\n    far = 1"),
        ("b = 2", "x = 1; ", "\nb = 2", "b = 2"),  # the first line continues a non-blank line
    ],
)
def test_drop_duplicate_lines(text: str, line_prefix: str, suffix: str, expected: str) -> None:
    assert drop_duplicate_lines(text, line_prefix, suffix) == expected


@pytest.mark.parametrize(
    ("text", "line_prefix", "expected"),
    [
        ("x = 1\n    y = 2\nz = 3", "    ", "x = 1\n    y = 2"),
        ("if a:\n        b()\n    c()", "    ", "if a:\n        b()\n    c()"),
        ("foo();\n}\nbar();", "  ", "foo();"),
        ("a,\n        b)", "    x = f(", "a,\n        b)"),
        ("x = 1\n\ny = 2", "", "x = 1\n\ny = 2"),
        ("one", "        ", "one"),
    ],
)
def test_stop_at_scope_end(text: str, line_prefix: str, expected: str) -> None:
    assert stop_at_scope_end(text, line_prefix) == expected


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        ("a, b)", ")", "a, b"),
        ("a, b)", ")\nnext", "a, b"),
        ("g(a))", ")", "g(a)"),
        ("g(a)", ")", "g(a)"),
        ("a))", ")", "a)"),
        ("a))", "))", "a"),
        ("a]", ")", "a]"),  # different closer: not ours to fix
        ("a)", "", "a)"),
        ("x[0])", "  );", "x[0]"),
        ("'(' + s)", ")", "'(' + s"),  # brackets in strings do not count
        ("k: v}", "}", "k: v"),
    ],
)
def test_balance_brackets(text: str, suffix: str, expected: str) -> None:
    assert balance_brackets(text, suffix) == expected


@pytest.mark.parametrize(
    ("text", "typed", "members", "expected"),
    [
        ("ems()", "it", ("items", "keys"), "ems()"),
        ("emz()", "it", ("items", "keys"), "ems()"),
        ("keys()", "", ("items", "keys"), "keys()"),
        ("kyes()", "", ("items", "keys"), "keys()"),
        ("append(x)", "", ("add", "append_all"), "append_all(x)"),
        ("foo()", "z", ("items", "keys"), None),
        ("foo()", "", None, "foo()"),  # members unknown: nothing to check against
        ("(x)", "", ("items",), None),
    ],
)
def test_repair_member(
    text: str, typed: str, members: tuple[str, ...] | None, expected: str | None
) -> None:
    assert repair_member(text, typed, members) == expected


@pytest.mark.parametrize(
    ("language", "before", "suggestion", "after", "expected"),
    [
        ("python", "def f(x):\n    return ", "x + 1", "\n", False),
        ("python", "def f(x):\n    return ", "x +* 1", "\n", True),
        ("python", "x = foo(", "a, b", ")\n", False),
        ("python", "x = foo(", "a, b))", ")\n", True),
        ("python", "x = (((\n", "y = 2", "\n", False),  # already broken: not made worse
        ("javascript", "function f() {\n  ", "return 1;", "\n}\n", False),
        ("javascript", "function f() {\n  ", "return 1; }", "\n}\n", True),
    ],
)
def test_adds_parse_errors(
    language: str, before: str, suggestion: str, after: str, expected: bool
) -> None:
    assert adds_parse_errors(spec_for(language), before, suggestion, after) is expected


def test_parse_errors_counts_error_and_missing() -> None:
    assert PY is not None
    assert parse_errors(PY, "x = 1\n") == 0
    assert parse_errors(PY, "x = (1\n") >= 1
    assert adds_parse_errors(None, "", "((((", "") is False


@pytest.mark.parametrize(
    ("text", "line_prefix", "expected"),
    [
        (" 1", "x = ", "1"),
        ("  return x", "    ", "return x"),
        (" 1", "x =", " 1"),
        ("    pass", "", "    pass"),  # column 0: the model's indentation is the indentation
        ("\tx", "\t", "x"),
    ],
)
def test_trim_leading_space(text: str, line_prefix: str, expected: str) -> None:
    assert trim_leading_space(text, line_prefix) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\r\nb", "a\nb"), ("add\ralue", "add\nalue"), ("a\n\rb", "a\n\nb"), ("ab", "ab")],
)
def test_normalize_newlines(text: str, expected: str) -> None:
    assert normalize_newlines(text) == expected


def test_first_line_only() -> None:
    assert first_line_only("a\nb") == "a"
    assert first_line_only("a") == "a"


@pytest.mark.parametrize(
    ("text", "ctx", "expected"),
    [
        (
            "a, b)\nextra",
            PostContext("x = f(", ")\n", block=False, before="x = f(", spec=PY),
            "a, b",
        ),
        (
            "total = 0\n    for x in xs:\n        total += x\n    return total\nprint(1)",
            PostContext("    ", "\n", block=True, before="def s(xs):\n    ", spec=PY),
            "total = 0\n    for x in xs:\n        total += x\n    return total",
        ),
        (
            "ems()  ",
            PostContext(
                "d.it",
                "\n",
                block=False,
                before="d.it",
                spec=PY,
                typed="it",
                members=("items", "keys"),
            ),
            "ems()",
        ),
        ("zzz()", PostContext("d.", "", False, "d.", PY, "", ("items",)), None),
        ("   \n", PostContext("", "", block=True), None),
        # a raw carriage return from the model ends the line like a newline does
        (
            "add_item\ralue_",
            PostContext("x = ", "\n", block=False, before="x = ", spec=PY),
            "add_item",
        ),
        ("z = x +/ 1", PostContext("", "\n", block=False, before="y = 1\n", spec=PY), None),
        # the hole at the cursor is an error already; the suggestion must still fill it
        ("x +/ 1", PostContext("y = ", "\n", block=False, before="y = ", spec=PY), None),
        ("x + 1", PostContext("y = ", "\n", block=False, before="y = ", spec=PY), "x + 1"),
        (
            "return 1;",
            PostContext("  ", "\n}", block=True, before="function f() {\n  ", spec=JS),
            "return 1;",
        ),
    ],
)
def test_clean(text: str, ctx: PostContext, expected: str | None) -> None:
    assert clean(text, ctx) == expected
