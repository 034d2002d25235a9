"""Scopes from text alone: unclosed braces with their headers, Python indentation."""

from __future__ import annotations

import pytest

from glm_lsp.syntax.textscopes import brace_scopes, python_scopes


def _scopes(src: str, language: str = "") -> list[tuple[str, str]]:
    offset = src.index("|")
    text = src.replace("|", "", 1)
    return [(s.kind, s.name) for s in brace_scopes(text, offset, None, language)]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("int f(int a) {\n  g(a.|", [("function", "f")]),
        ("static const char **f(int x) {\n  |", [("function", "f")]),
        ("void K::run() const {\n  |", [("function", "K::run")]),
        (
            "namespace n {\nclass C : public B {\n  int* m() {\n    |",
            [
                ("function", "m"),
                ("class", "C"),
                ("namespace", "n"),
            ],
        ),
        ("int f() {\n  struct S s = {\n    .|", [("function", "f")]),  # an initializer
        ("int f() { if (x) { while (y) { |", [("function", "f")]),  # control blocks
        ("int f() { for (i = 0; i < n; i++) { |", [("function", "f")]),
        ("int f() { g(); }\nint h() { |", [("function", "h")]),
        ("int f() { /* { */ // {\n  s = \"{\"; c = '{'; |", [("function", "f")]),
        ("el.forEach(function(e) {\n  e.|", [("function", "")]),
        (
            "(function themes() {\n  x.forEach(function(el) {\n    el.|",
            [
                ("function", ""),
                ("function", "themes"),
            ],
        ),
        ("const h = (a, b) => {\n  |", [("lambda", "h")]),
        ("const o = {\n  a: |", []),
        (
            "class A extends B<T> {\n  m(x: T): void {\n    this.|",
            [
                ("function", "m"),
                ("class", "A"),
            ],
        ),
        ("interface I<T> {\n  |", [("interface", "I")]),
        (
            "glob.Glob = Glob\ninherits(Glob, EE)\nfunction Glob (p, cb) {\n  this.|",
            [("function", "Glob")],
        ),  # no semicolons: earlier statements are not the signature
        ("int\nmain(int argc,\n     char **argv) {\n  |", [("function", "main")]),
        (
            "class A {\n  private f(s: T): { i: number; n: K } {\n    for (|",
            [
                ("function", "f"),
                ("class", "A"),
            ],
        ),
        ("func (s *S) Run(n int) error {\n  s.|", [("function", "Run")]),
        (
            "impl<T> Show for Wrapper<T> {\n  fn fmt(&self) -> String {\n    self.|",
            [
                ("function", "fmt"),
                ("impl", "Wrapper"),
            ],
        ),
        ("mod net {\n  pub trait Conn {\n    |", [("trait", "Conn"), ("module", "net")]),
        (
            "public class A {\n  void run() throws IOException {\n    |",
            [
                ("function", "run"),
                ("class", "A"),
            ],
        ),
        ("auto l = [&](int x) {\n  x.|", [("lambda", "l")]),
        ("int x = 1;\n|", []),
    ],
)
def test_brace_scopes(src: str, expected: list[tuple[str, str]]) -> None:
    assert _scopes(src) == expected


@pytest.mark.parametrize(
    ("language", "src", "expected"),
    [
        ("javascript", "function f() {\n  x = 'a}b';\n  y.|", [("function", "f")]),
        ("typescript", "function f() {\n  x = `${a}}` + '}}';\n  y.|", [("function", "f")]),
        ("rust", "fn f<'a>(s: &'a str) {\n  let c = '{';\n  s.|", [("function", "f")]),
    ],
)
def test_literals_per_language(language: str, src: str, expected: list[tuple[str, str]]) -> None:
    assert _scopes(src, language) == expected


def test_brace_scope_offsets() -> None:
    text = "int a;\nint f(int x) {\n  x"
    (scope,) = brace_scopes(text, len(text))
    assert text[scope.start : scope.start + 5] == "int f"
    assert scope.end == len(text)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        (
            "class A:\n    def f(self):\n        if x:\n            |",
            [
                ("function", "f"),
                ("class", "A"),
            ],
        ),
        ("class A:\n    x = 1\n\n    # note\n    |", [("class", "A")]),
        ("def f():\n    pass\n|", []),
        ("async def go():\n    await |", [("function", "go")]),
        ("|", []),
    ],
)
def test_python_scopes(src: str, expected: list[tuple[str, str]]) -> None:
    offset = src.index("|")
    text = src.replace("|", "", 1)
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    indent = len(line) - len(line.lstrip())
    assert [(s.kind, s.name) for s in python_scopes(text, line_start, indent)] == expected
