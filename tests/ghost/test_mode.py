"""LINE / BLOCK / none per language, from snippets with a cursor marker ``‸``."""

from __future__ import annotations

import pytest

from glm_lsp.ghost.mode import Mode, choose_mode, is_block_opener
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import parse_text

LINE, BLOCK = Mode.LINE, Mode.BLOCK


def _mode(language: str, src: str, setting: str = "auto") -> Mode | None:
    offset = src.index("‸")
    text = src[:offset] + src[offset + 1 :]
    spec = spec_for(language)
    tree = parse_text(spec, text) if spec is not None else None
    return choose_mode(build_context(spec, text, offset, tree), setting)


CASES = [
    # python
    ("python", "def f(x):\n    ‸\n", BLOCK),
    ("python", "def f(x):  # body next\n    ‸", BLOCK),
    ("python", "class A:\n\n    ‸", BLOCK),
    ("python", "if x:\n    y = 1\n    ‸\n", LINE),
    ("python", "x = foo(‸", LINE),
    ("python", "x = foo(‸)", LINE),
    ("python", "x = foo(a, ‸)\n", LINE),
    ("python", "return self.‸", LINE),
    ("python", "x = 1‸", LINE),
    ("python", "def f(x):‸", None),  # the body comes after Enter
    ("python", "if x:  # why‸", None),
    ("python", "d = {'a':‸", LINE),
    ("javascript", "if (x) {‸", None),
    ("javascript", "foo(‸", LINE),
    ("javascript", "const o = [‸", LINE),
    ("python", "\n‸", LINE),
    ("python", "x = fo‸o", None),
    ("python", "x = ‸foo", None),
    ("python", "x = 1  # a comm‸", None),
    ("python", "x = 'some te‸'", None),
    ("python", "x = ‸ + y", None),
    ("python", '"""Doc ‸\n"""\n', None),
    # javascript / typescript
    ("javascript", "function f() {\n  ‸\n}\n", BLOCK),
    ("javascript", "const g = () => {\n  ‸\n}", BLOCK),
    ("javascript", "items.forEach(x =>\n  ‸", BLOCK),
    ("javascript", "let a = b.‸;", LINE),
    ("javascript", "let a = `templ‸`", None),
    ("javascript", "// todo: ‸", None),
    ("typescript", "interface A {\n  ‸\n}", BLOCK),
    ("typescript", "const x: number = ‸", LINE),
    # rust / go / c
    ("rust", "fn main() {\n    ‸\n}", BLOCK),
    ("rust", "fn main() {\n    let v = vec![1];\n    ‸\n}", LINE),
    ("rust", 'let s = "abc‸";', None),
    ("go", "func f() {\n\t‸\n}", BLOCK),
    ("go", "x := y.‸", LINE),
    ("c", "int main(void) {\n    ‸\n}", BLOCK),
    ("c", "int x = mai‸n();", None),
    ("c", "/* block ‸ */", None),
]


@pytest.mark.parametrize(("language", "src", "expected"), CASES)
def test_auto_mode(language: str, src: str, expected: Mode | None) -> None:
    assert _mode(language, src) is expected


@pytest.mark.parametrize(
    ("setting", "src", "expected"),
    [
        ("line", "def f(x):\n    ‸\n", LINE),
        ("block", "x = foo(‸", BLOCK),
        ("block", "x = fo‸o", None),  # forcing a length never overrides "none"
        ("line", "# comment ‸", None),
    ],
)
def test_forced_mode(setting: str, src: str, expected: Mode | None) -> None:
    assert _mode("python", src, setting) is expected


def test_unknown_language_uses_text_rules() -> None:
    text = "begin\n  "
    ctx = build_context(None, text, len(text), None)
    assert choose_mode(ctx) is BLOCK


@pytest.mark.parametrize(
    ("line", "language", "expected"),
    [
        ("def f():", "python", True),
        ("x = {'a': 1}  # note:", "python", False),
        ("d = {'a':", "python", False),
        ("    for k, v in d.items():", "python", True),
        ("if (x) {", "c", True),
        ("foo(a, b);", "c", False),
        ("do", "lua", True),
        ("", "python", False),
        ("  // comment {", "javascript", False),
    ],
)
def test_block_opener(line: str, language: str, expected: bool) -> None:
    assert is_block_opener(line, language) is expected
