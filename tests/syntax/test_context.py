"""CursorContext from snippets with a cursor marker (``|``, or ``‸`` where ``|`` is code)."""

from __future__ import annotations

import pytest

from glm_lsp.syntax.context import CursorContext, build_context
from glm_lsp.syntax.languages import SPECS, spec_for
from glm_lsp.syntax.parse import parse_text


def _split(src: str) -> tuple[str, int]:
    mark = "‸" if "‸" in src else "|"
    offset = src.index(mark)
    return src[:offset] + src[offset + 1 :], offset


def ctx(language: str | None, src: str, *, tree: bool = True) -> CursorContext:
    text, offset = _split(src)
    spec = spec_for(language)
    parsed = parse_text(spec, text) if spec is not None and tree else None
    return build_context(spec, text, offset, parsed)


BOTH = pytest.mark.parametrize("tree", [True, False], ids=["tree", "text"])


# ---------------------------------------------------------------- prefix / word / lines


@BOTH
@pytest.mark.parametrize(
    ("language", "src", "prefix", "rest"),
    [
        ("python", "x = foo.ba|r()", "ba", "r"),
        ("python", "déjà_vu = naïv|e", "naïv", "e"),
        ("python", "x = 😀 + ab|", "ab", ""),
        ("python", "|", "", ""),
        ("python", "abc|", "abc", ""),
        ("javascript", "const $el = $e|l;", "$e", "l"),
        ("python", "$e|l", "e", "l"),  # `$` is no identifier character in Python
        ("python", "cafe\u0301_ta|ble", "cafe\u0301_ta", "ble"),  # combining accent
        ("python", "x = " + "a" * 5000 + "|", "a" * 512, ""),  # data, not a name: capped
        ("rust", "let x = Vec::ne|w();", "ne", "w"),
        (None, "some plain wor|ds", "wor", "ds"),
    ],
)
def test_prefix_and_word_end(
    language: str | None, src: str, prefix: str, rest: str, tree: bool
) -> None:
    c = ctx(language, src, tree=tree)
    text, offset = _split(src)
    assert c.prefix == prefix
    assert c.replace_start == offset - len(prefix)
    assert text[offset : c.word_end] == rest


@pytest.mark.parametrize(
    ("src", "line_prefix", "line_suffix"),
    [
        ("a = 1\r\nb = fo|o(x)\r\nc = 2", "b = fo", "o(x)"),
        ("a = 1\r\nb = foo|\r\n", "b = foo", ""),
        ("first|", "first", ""),
        ("x\n|\ny", "", ""),
        ("x = 😀|😀\n", "x = 😀", "😀"),
    ],
)
def test_line_prefix_and_suffix(src: str, line_prefix: str, line_suffix: str) -> None:
    c = ctx("python", src)
    assert (c.line_prefix, c.line_suffix) == (line_prefix, line_suffix)


# ---------------------------------------------------------------- offsets out of range


@pytest.mark.parametrize("offset", [-5, 0, 3, 8, 9, 10_000])
@pytest.mark.parametrize("language", [s.name for s in SPECS] + ["plaintext"])
def test_any_offset_is_clamped(language: str, offset: int) -> None:
    text = "x.y = 1\n"
    spec = spec_for(language)
    tree = parse_text(spec, text) if spec is not None else None
    c = build_context(spec, text, offset, tree)
    assert 0 <= c.offset <= len(text)
    assert c.offset == max(0, min(offset, len(text)))
    assert c.scopes[-1].kind == "module"


@pytest.mark.parametrize("language", [s.name for s in SPECS])
def test_empty_file(language: str) -> None:
    c = ctx(language, "|")
    assert (c.prefix, c.receiver, c.in_string, c.in_comment) == ("", None, False, False)
    assert [s.kind for s in c.scopes] == ["module"]


def test_stale_tree_does_not_raise() -> None:
    spec = spec_for("python")
    assert spec is not None
    old = parse_text(spec, "def f():\n    return 1\n" * 50)
    c = build_context(spec, "x.", 2, old)  # tree of another text entirely
    assert c.receiver == "x"


# ---------------------------------------------------------------- receivers


@BOTH
@pytest.mark.parametrize(
    ("language", "src", "receiver", "operator"),
    [
        ("python", "self.config.|", "self.config", "."),
        ("python", "class A:\n    def f(self):\n        x = self.conf.|\n", "self.conf", "."),
        ("python", "def f(self):\n    self.|\n    return 1\n", "self", "."),
        ("python", "y = foo().bar.|", "foo().bar", "."),
        ("python", "y = foo(a, (b)).ba|", "foo(a, (b))", "."),
        ("python", "xs[0].|", "xs[0]", "."),
        ("python", '"abc".|', '"abc"', "."),
        ("python", 'f"{a}b".jo|', 'f"{a}b"', "."),
        ("python", 'a.b(c.d, ")").|', 'a.b(c.d, ")")', "."),
        ("python", "(a + b).|", "(a + b)", "."),
        ("python", "return self.|", "self", "."),
        ("python", "s = '😀😀'.|", "'😀😀'", "."),
        ("python", 'x = f"{a.|}"', "a", "."),
        ("javascript", "function f(){ this.|\n}", "this", "."),
        ("javascript", "a\n  .b()\n  .|", "a.b()", "."),
        ("javascript", "const s = `abc ${x.|}`;", "x", "."),
        ("typescript", "class A { m(): void { this.x?.| } }", "this.x", "?."),
        ("tsx", "const App = () => <div>{props.|}</div>;", "props", "."),
        ("go", "package m\nfunc (s *S) F() int {\n  return s.|\n}", "s", "."),
        ("rust", "fn main() { let v = Vec::|\n}", "Vec", "::"),
        ("rust", "fn f() { HashMap::<K, V>::n| }", "HashMap::<K, V>", "::"),
        ("rust", "fn f() { x.iter()?.| }", "x.iter()?", "."),
        ("rust", "fn g<'a>(s: &'a str) { s.| }", "s", "."),
        ("java", "class A { int f() { return this.|; } }", "this", "."),
        ("c", "int f(struct s *p) { return p->|; }", "p", "->"),
        ("c", "int f(struct s *p) { return p->q->|; }", "p->q", "->"),
        ("cpp", "int A::f(int x) { std::| }", "std", "::"),
        ("cpp", "void f() { std::vector<int>::| }", "std::vector<int>", "::"),
        ("cpp", "auto l = [](int x) { return x.|; };", "x", "."),
        (None, "foo.ba|", "foo", "."),
        ("python", "# all done.\nself.|", "self", "."),  # a prose dot is no operator
        ("javascript", "// the end.\nfoo.|", "foo", "."),
        ("go", "package m\nfunc f() {\n  x := a.\n    b().|", "a.b()", "."),
    ],
)
def test_receiver(language: str | None, src: str, receiver: str, operator: str, tree: bool) -> None:
    c = ctx(language, src, tree=tree)
    assert (c.receiver, c.member_operator) == (receiver, operator)


@BOTH
@pytest.mark.parametrize(
    ("language", "src"),
    [
        ("python", "x = 1.|"),
        ("python", "x = 12.5|"),
        ("python", "from .|"),
        ("python", "from . import |"),
        ("python", "def f(*a): ...|"),
        ("python", "x = foo|"),
        ("python", "  .|"),
        ("python", "# self.|"),
        ("python", "s = 'self.|'"),
        ("rust", "for i in 0..|"),
        ("cpp", "void f() { ::| }"),
        ("javascript", "f(...|"),
        ("c", "x = a - >|"),
    ],
)
def test_not_member_access(language: str, src: str, tree: bool) -> None:
    c = ctx(language, src, tree=tree)
    assert c.receiver is None
    assert c.member_operator is None


# ---------------------------------------------------------------- strings / comments


@BOTH
@pytest.mark.parametrize(
    ("language", "src", "in_string", "in_comment"),
    [
        ("python", 'x = "abc|"', True, False),
        ("python", 'x = "abc|', True, False),
        ("python", 'x = "abc|\ny = 2\n', True, False),
        ("python", 'x = "abc"|\n', False, False),
        ("python", 'x = f"{a.|}"', False, False),
        ("python", "# hello|\nx = 1", False, True),
        ("python", "x = 1  # a.|", False, True),
        ("python", "x = 1|  # a", False, False),
        ("python", "x = '#'; y.|", False, False),
        ("javascript", "const s = `abc ${x.|}`;", False, False),
        ("javascript", 'const s = "abc|', True, False),
        ("javascript", "// abc|\nfoo()", False, True),
        ("typescript", "let x = 'it\\'s |';", True, False),
        ("go", "package m\nvar s = `raw |`", True, False),
        ("go", "package m\nvar r = 'x|'", True, False),
        ("rust", 'fn f() { let s = "a|"; }', True, False),
        ("rust", "fn f<'a>(x: &'a str) { x.| }", False, False),
        ("rust", "/// doc |\nfn f() {}", False, True),
        ("java", 'class A { String s = "x|"; }', True, False),
        ("java", "class A { /* note | */ }", False, True),
        ("c", "/* abc */|", False, False),
        ("c", "/* abc |", False, True),
        ("c", "// abc|", False, True),
        ("c", '#include "std|', True, False),
        ("cpp", 'auto s = R"(raw |)";', True, False),
        ("cpp", 'auto s = "a" "b|";', True, False),
        ("python", "x = 1|", False, False),
        ("rust", 'fn f() { let s = r#"raw"#|; }', False, False),
        ("cpp", 'auto s = u8"x"|;', False, False),
        ("javascript", "const ok = /ab+/.|", False, False),
    ],
)
def test_string_and_comment(
    language: str, src: str, in_string: bool, in_comment: bool, tree: bool
) -> None:
    c = ctx(language, src, tree=tree)
    assert (c.in_string, c.in_comment) == (in_string, in_comment)


@pytest.mark.parametrize(
    ("language", "src"),
    [
        ("python", 'x = """doc\nstring |more"""'),
        ("javascript", "const s = `line one\nline |two`;"),
        ("c", "/* line one\n line | two */"),
        ("javascript", "const re = /ab|c/g;"),  # a regex literal is string-like
        ("tsx", "const a = <p>Hello wor|</p>;"),  # so is JSX text
    ],
)
def test_multiline_strings_and_comments_need_the_tree(language: str, src: str) -> None:
    c = ctx(language, src)
    assert c.in_string or c.in_comment
    assert c.receiver is None and c.expected is None


# ---------------------------------------------------------------- scopes


@pytest.mark.parametrize(
    ("language", "src", "scopes"),
    [
        (
            "python",
            "class A:\n    def f(self):\n        x = self.|\n",
            [("function", "f"), ("class", "A")],
        ),
        ("python", "def f():\n    return [lambda y: y.|]\n", [("lambda", ""), ("function", "f")]),
        ("python", "key = lambda y: y.x|", [("lambda", "key")]),
        # an unterminated f-string swallows the `def`; indentation still shows it
        (
            "python",
            'def fmt(msg):\n    s = f"{msg.name}:{msg.|\n    return s\n',
            [("function", "fmt")],
        ),
        ("cpp", "auto l = [](int x) { return x.|; };", [("lambda", "l")]),
        ("rust", "fn f() { let c = |x: i32| { x.‸ }; }", [("lambda", "c"), ("function", "f")]),
        # error recovery lost the function: the unclosed braces still show it
        (
            "c",
            "static int sort(struct ctx * c, bool k) {\n    sync(c->dma[0], dst->|",
            [("function", "sort")],
        ),
        ("python", "class A:\n    def f(self):\n        pass\n\n    |", [("class", "A")]),
        ("python", "class A:\n    def f(self):\n        pass\n\n|", []),
        ("python", "def f():\n    x = 1\n\n\n        |", [("function", "f")]),
        ("python", "async def go():\n    await x.|", [("function", "go")]),
        ("javascript", "class Q { m() { this.| } }", [("function", "m"), ("class", "Q")]),
        ("javascript", "const h = () => { fo| };", [("lambda", "h")]),
        ("javascript", "function f() { }\n|", []),
        (
            "typescript",
            "namespace N { interface I { m(): void; | } }",
            [("interface", "I"), ("namespace", "N")],
        ),
        ("tsx", "function App() { return <div>{x.|}</div>; }", [("function", "App")]),
        ("go", "package m\nfunc (s *S) F() int {\n  return s.|\n}", [("function", "F")]),
        ("go", "package m\nfunc f() { g := func() { x.| } }", [("lambda", "g"), ("function", "f")]),
        (
            "rust",
            "impl<T> Foo for Bar<T> { fn f(&self) { self.| } }",
            [("function", "f"), ("impl", "Bar<T>")],
        ),
        (
            "rust",
            "mod m { trait T { fn f(&self) { | } } }",
            [("function", "f"), ("trait", "T"), ("module", "m")],
        ),
        ("java", "class A { A() { | } }", [("function", "A"), ("class", "A")]),
        (
            "java",
            "class A { void f() { Runnable r = () -> { x.| }; } }",
            [("lambda", "r"), ("function", "f"), ("class", "A")],
        ),
        ("c", "static const char **f(int x) { return |; }", [("function", "f")]),
        ("c", "int f(void) { return 0; }\n|", []),
        (
            "cpp",
            "namespace n { class C { int* m() { return this->|; } }; }",
            [("function", "m"), ("class", "C"), ("namespace", "n")],
        ),
        ("cpp", "std::string C::g() const { | }", [("function", "C::g")]),
    ],
)
def test_scopes(language: str, src: str, scopes: list[tuple[str, str]]) -> None:
    c = ctx(language, src)
    assert [(s.kind, s.name) for s in c.scopes[:-1]] == scopes
    module = c.scopes[-1]
    assert (module.kind, module.start, module.end) == ("module", 0, len(c.text))
    for scope in c.scopes:
        assert scope.start <= c.offset <= max(scope.end, c.offset)


def test_scope_offsets_are_str_indices_after_emoji() -> None:
    src = "s = '😀😀😀'\n\ndef ünïcode():\n    return s.|\n"
    c = ctx("python", src)
    func = c.scopes[0]
    assert c.text[func.start : func.start + 14] == "def ünïcode():"
    assert c.text[func.end - 9 : func.end] == "return s."


def test_python_scopes_without_tree_follow_indentation() -> None:
    src = "class A:\n    x = 1\n\n    def f(self):\n        if x:\n            self.|\n"
    c = ctx("python", src, tree=False)
    assert [(s.kind, s.name) for s in c.scopes] == [
        ("function", "f"),
        ("class", "A"),
        ("module", ""),
    ]


# ---------------------------------------------------------------- expected types


def _expect(c: CursorContext) -> tuple[object, ...] | None:
    e = c.expected
    if e is None:
        return None
    return (e.source, e.type, e.callee, e.argument_index, e.keyword, e.peer)


@pytest.mark.parametrize(
    ("language", "src", "expected"),
    [
        ("python", "x: int = |", ("annotation", "int", None, None, None, None)),
        (
            "python",
            "self.items: list[str] = |",
            ("annotation", "list[str]", None, None, None, None),
        ),
        ("python", "def f(a, b: Path = |):", ("annotation", "Path", None, None, None, None)),
        ("python", "def f() -> int:\n    return |\n", ("return", "int", None, None, None, None)),
        (
            "python",
            "def f() -> list[str]:\n    if x:\n        y = 2\n\n    return |",
            ("return", "list[str]", None, None, None, None),
        ),
        ("python", "def f():\n    return |", ("return", None, None, None, None, None)),
        ("python", "def f() -> Foo:\n    return Fo|", ("return", "Foo", None, None, None, None)),
        ("python", "foo(a, b=|)", ("keyword-argument", None, "foo", 1, "b", None)),
        ("python", "obj.method(a, |", ("argument", None, "obj.method", 1, None, None)),
        ("python", "print(|)", ("argument", None, "print", 0, None, None)),
        ("python", "f(g(1), h(2, 3), |)", ("argument", None, "f", 2, None, None)),
        ("python", "f(a, self.|)", ("argument", None, "f", 1, None, None)),
        ("python", "if x == |", ("comparison", None, None, None, None, "x")),
        ("python", "if self.mode is not |", ("comparison", None, None, None, None, "self.mode")),
        ("python", "if kind is |", ("comparison", None, None, None, None, "kind")),
        ("python", "while a.b(c) != Mo|", ("comparison", None, None, None, None, "a.b(c)")),
        ("python", "self.count = |", ("assignment", None, None, None, None, "self.count")),
        ("python", "total += |", ("assignment", None, None, None, None, "total")),
        ("javascript", "if (a === |)", ("comparison", None, None, None, None, "a")),
        ("javascript", "foo(1, |)", ("argument", None, "foo", 1, None, None)),
        (
            "typescript",
            "const x: Map<string, number> = |",
            ("annotation", "Map<string, number>", None, None, None, None),
        ),
        (
            "typescript",
            "function f(a: number): Foo<T> { return |; }",
            ("return", "Foo<T>", None, None, None, None),
        ),
        (
            "typescript",
            "const g = (x: int): string => { return |; }",
            ("return", "string", None, None, None, None),
        ),
        ("tsx", "let n: number = |", ("annotation", "number", None, None, None, None)),
        (
            "go",
            "package m\nfunc f() {\n  var x time.Duration = |\n}",
            ("annotation", "time.Duration", None, None, None, None),
        ),
        (
            "go",
            "package m\nfunc (s *S) F() int {\n  return s.|\n}",
            ("return", "int", None, None, None, None),
        ),
        (
            "go",
            "package m\nfunc f() (int, error) { return |",
            ("return", "(int, error)", None, None, None, None),
        ),
        (
            "go",
            "package m\nfunc f() { fmt.Println(a, |) }",
            ("argument", None, "fmt.Println", 1, None, None),
        ),
        (
            "rust",
            "fn g() { let x: HashMap<String, i32> = |; }",
            ("annotation", "HashMap<String, i32>", None, None, None, None),
        ),
        ("rust", "fn g() { let mut n: u8 = |; }", ("annotation", "u8", None, None, None, None)),
        (
            "rust",
            "impl Foo for Bar { fn f(&self) -> Option<i32> { return |; } }",
            ("return", "Option<i32>", None, None, None, None),
        ),
        ("rust", 'fn g() { println!("{}", |); }', ("argument", None, "println", 1, None, None)),
        (
            "java",
            "class A { void f() { List<String> xs = |; } }",
            ("annotation", "List<String>", None, None, None, None),
        ),
        (
            "java",
            "class A { void f() { final Map<K, V> m = |; } }",
            ("annotation", "Map<K, V>", None, None, None, None),
        ),
        (
            "java",
            "class A { int f() { return this.|; } }",
            ("return", "int", None, None, None, None),
        ),
        (
            "java",
            "class A { void f() { foo.bar(1, |); } }",
            ("argument", None, "foo.bar", 1, None, None),
        ),
        (
            "c",
            "void f() { struct foo *p = |; }",
            ("annotation", "struct foo*", None, None, None, None),
        ),
        (
            "c",
            "static const char **f(int x) { return |; }",
            ("return", "char**", None, None, None, None),
        ),
        (
            "c",
            "void f() { int a = 1; double b = |; }",
            ("annotation", "double", None, None, None, None),
        ),
        ("c", "void f() { if (x == |) {} }", ("comparison", None, None, None, None, "x")),
        (
            "cpp",
            "void f() { std::vector<int> v = |; }",
            ("annotation", "std::vector<int>", None, None, None, None),
        ),
        (
            "cpp",
            "namespace n { class C { int* m() { return this->|; } }; }",
            ("return", "int*", None, None, None, None),
        ),
    ],
)
def test_expected_type(language: str, src: str, expected: tuple[object, ...]) -> None:
    assert _expect(ctx(language, src)) == expected


@pytest.mark.parametrize(
    ("language", "src"),
    [
        ("python", "def f(a, |"),  # a definition, not a call
        ("python", "if (|"),
        ("python", "x = [a, |"),
        ("python", "foo|"),
        ("python", "x == y and |"),
        ("javascript", "function f(a, |"),
        ("go", "package m\nfunc (s *S) F(a int, |"),
        ("c", "int f(int a, |"),
        ("c", "auto x = |"),
        ("java", "class A { void f() { while (|) {} } }"),
    ],
)
def test_no_expected_type(language: str, src: str) -> None:
    c = ctx(language, src)
    if c.expected is not None:
        assert c.expected.type is None
        assert c.expected.source not in ("argument", "keyword-argument", "annotation")
    assert not c.in_call_args


@pytest.mark.parametrize(
    ("language", "src", "callee", "index"),
    [
        ("typescript", "x = $state<string | null>(‸)", "$state", 0),
        ("tsx", "const [a, b] = useState<Map<K, V>>(new Map(), |)", "useState", 1),
        ("cpp", "void g() { f<T, true>(args, |); }", "f", 1),
        ("rust", "fn g() { let n = s.parse::<i32>(|); }", "s.parse", 0),
    ],
)
def test_generic_callees(language: str, src: str, callee: str | None, index: int | None) -> None:
    c = ctx(language, src)
    assert (c.callee, c.argument_index) == (callee, index)


@pytest.mark.parametrize(
    ("src", "callee", "index"),
    [
        ("result = compute(\n    first,\n    |", "compute", 1),
        ("f(" + "x, " * 200 + "|", "f", 200),  # beyond the short first window
        ("f(lambda x: x, |", "f", 1),
        ("f(\"a, (b\", 'c)', |", "f", 2),
        ("f(g(1,\n  2), [3, 4], {5: 6}, |", "f", 3),
    ],
)
def test_call_arguments_across_lines_and_literals(src: str, callee: str, index: int) -> None:
    c = ctx("python", src)
    assert (c.in_call_args, c.callee, c.argument_index) == (True, callee, index)


@pytest.mark.parametrize(
    "src",
    [
        "f(a)\ndef g():\n    x = 1\n    |",
        "if f(a):\n    |",
        "x = (1 + 2)\n|",
    ],
)
def test_not_in_call_arguments(src: str) -> None:
    assert not ctx("python", src).in_call_args


@BOTH
@pytest.mark.parametrize(
    ("src", "declared"),
    [
        ("def a() -> int:\n    pass\n\ndef b():\n    return |", None),
        ("def a() -> int:\n    pass\n\ndef b() -> str:  # note\n    return |", "str"),
        ("class A:\n    def m(self) -> 'A':\n        if x:\n            return |", "'A'"),
        ("return |", None),
    ],
)
def test_python_return_annotation_of_the_right_def(
    src: str, declared: str | None, tree: bool
) -> None:
    c = ctx("python", src, tree=tree)
    assert c.expected is not None
    assert (c.expected.source, c.expected.type) == ("return", declared)


@pytest.mark.parametrize(
    ("language", "src", "declared"),
    [
        ("typescript", "function f(a: number = |) {}", "number"),
        ("typescript", "class A { private cache: Map<K, V> = |; }", "Map<K, V>"),
        ("tsx", "function C({ n }: Props, label: string = |) {}", "string"),
        ("python", "class A:\n    limit: int = |\n", "int"),
        ("java", "class A { private static final int LIMIT = |; }", "int"),
        ("cpp", "const std::string& name = |;", "std::string&"),
        ("c", "unsigned long n = |;", "unsigned long"),
    ],
)
def test_declared_types(language: str, src: str, declared: str) -> None:
    c = ctx(language, src)
    assert c.expected is not None
    assert (c.expected.source, c.expected.type) == ("annotation", declared)


@pytest.mark.parametrize(
    ("language", "src", "node_type"),
    [
        ("python", "x = foo.ba|r()", "identifier"),
        ("python", 'x = "ab|c"', "string_content"),
        ("python", "def f(self):\n    self.|\n", "ERROR"),  # error recovery around `x.`
        ("javascript", "foo(1, |)", "arguments"),
        ("rust", "fn main() { let v = Vec::|\n}", "ERROR"),
    ],
)
def test_node_at_cursor(language: str, src: str, node_type: str) -> None:
    c = ctx(language, src)
    assert c.node_type == node_type
    assert c.node is not None and c.node.type == node_type


def test_crlf_python() -> None:
    src = (
        "class A:\r\n    def f(self):\r\n        x = self.|\r\n"
        "\r\n    def g(self):\r\n        pass\r\n"
    )
    for tree in (True, False):
        c = ctx("python", src, tree=tree)
        assert c.receiver == "self"
        assert [(s.kind, s.name) for s in c.scopes[:-1]] == [("function", "f"), ("class", "A")]
        assert c.line_prefix == "        x = self."
        assert c.line_suffix == ""


def test_huge_inputs_without_a_tree() -> None:
    """Well-formed answers on a 2 MB line and a 9 MB file (their speed: bench_parse.py)."""
    minified = "var a=" + "f(x,'s'),g[1]." * 150_000 + "|"  # one 2 MB line
    deep = "def f():\n" + "    x = [1, 2, (3)]\n" * 500_000 + "    self.|\n"  # 9 MB
    for language, src in (("javascript", minified), ("python", deep), ("plaintext", deep)):
        c = ctx(language, src, tree=False)
        assert c.offset == src.index("|")
        assert c.line_suffix == ""


def test_call_context_fields() -> None:
    c = ctx("python", "obj.run(1, 2, fla|)")
    assert (c.in_call_args, c.callee, c.argument_index) == (True, "obj.run", 2)


# ---------------------------------------------------------------- broken input


BROKEN = [
    "def (((:\n  x.|",
    ")))]]]}}} x.|",
    "'''unterminated\n x.|",
    "\x00\x01\x02 x.|",
    "a.\ud800.|",  # lone surrogate before the cursor
    "{" * 300 + "x.|",
    "x." * 2000 + "|",
]


@pytest.mark.parametrize("src", BROKEN)
@pytest.mark.parametrize("language", [s.name for s in SPECS] + ["plaintext"])
def test_syntax_errors_everywhere_never_raise(language: str, src: str) -> None:
    for tree in (True, False):
        c = ctx(language, src, tree=tree)
        assert c.offset == len(c.text)
        assert isinstance(c.prefix, str)
        assert c.scopes and c.scopes[-1].kind == "module"


def test_tree_failure_falls_back_to_text(monkeypatch: pytest.MonkeyPatch) -> None:
    import glm_lsp.syntax.context as module

    def boom(*args: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "_tree_part", boom)
    c = ctx("python", "def f():\n    self.x|")
    assert (c.prefix, c.offset, c.receiver) == ("x", 19, "self")
    assert c.tree is None


def test_total_failure_gives_a_minimal_context(monkeypatch: pytest.MonkeyPatch) -> None:
    import glm_lsp.syntax.context as module

    def boom(*args: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "line_bounds", boom)
    c = ctx("python", "self.x|")
    assert (c.prefix, c.offset, c.receiver, c.word_end) == ("", 6, None, 6)
    assert [s.kind for s in c.scopes] == ["module"]


@pytest.mark.parametrize("module", ["expected", "textscan", "scopes", "parse", "context"])
def test_each_module_imports_first(module: str) -> None:
    """context.py and expected.py refer to each other: any import order must work."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", f"import glm_lsp.syntax.{module}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_line_after_a_multiline_string_is_code() -> None:
    """The line scanner (used where the tree has errors) starts after the docstring's end."""
    c = ctx("python", 'x = re.compile("""\n  a\n""", re.| | re.X)\n')
    assert (c.in_string, c.receiver) == (False, "re")
