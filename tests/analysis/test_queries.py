"""Every language's query compiles and captures definitions, imports, members and calls."""

from __future__ import annotations

import pytest
from tree_sitter import QueryCursor

from glm_lsp.analysis.extract import extract_symbols
from glm_lsp.syntax.languages import SPECS, spec_for

JS = """\
import fs, { readFile as rf } from "fs";
import * as path from "./path";
/** A widget. */
class Widget extends Base {
  count = 0;
  constructor(a, b = 2) { this.size = 3; }
  render() { this.size.toFixed(); }
}
const trim = (p) => p.trim();
function use(a) { const m = new Map(); m.get(1); const s = "x"; s.trim(); }
"""

TS = """\
import { A } from "./a";
class Widget {
  count: number = 0;
  render(x: number, ...rest: string[]): string { return this.count.toFixed(); }
}
interface Shape { area(): number; name: string }
type Alias = string;
enum Color { Red, Green }
function top(a: string, b?: number): Promise<void> {}
let v: Widget = new Widget(); v.render(1);
"""

GO = """\
package main
import (
    f "fmt"
    "strings"
)
// P is a point.
type P struct { X int; Y, Z string }
type I interface { M(a int) string }
func (p *P) Get(a int, b ...string) (int, error) { x := 3; return p.X, nil }
func main() { q := P{X: 1}; q.Get(1); f.Println(strings.ToUpper("a")) }
"""

RUST = """\
use std::collections::HashMap;
use foo::bar as baz;
/// A point.
struct P { x: i32 }
enum E { A, B }
trait T { fn m(&self) -> i32; }
impl P {
    fn new(x: i32) -> Self { let mut v = Vec::new(); v.push(1); P { x } }
    fn get(&self) -> i32 { self.x }
}
fn main() { let p = P { x: 1 }; p.get(); }
"""

JAVA = """\
import java.util.List;
/** A thing. */
class A extends B {
    private int x = 1;
    List<String> xs;
    public String get(int a, String... rest) {
        var s = new StringBuilder(); s.append("x");
        for (String t : xs) { t.trim(); }
        return this.xs.get(0);
    }
}
interface I { void m(); }
"""

C = """\
#include <stdio.h>
#define MAX 3
struct P { int x; char *name; };
typedef struct P P_t;
int add(int a, char *b);
static char *get(struct P *p, int n) { int y = 2; struct P q; q.x = 1; return p->name; }
"""

CPP = """\
#include <vector>
class A : public B { public: int x; void m(int a); };
void A::m(int a) { std::vector<int> v; v.push_back(a); this->x = 1; }
int f(const std::string& s, int d = 2) { return s.size(); }
"""

# (language, source, symbols as (name, kind, container, type), member keys, imports)
CASES = [
    (
        "javascript",
        JS,
        {
            ("Widget", "class", None, None),
            ("count", "field", "Widget", "number"),
            ("size", "field", "Widget", "number"),
            ("render", "method", "Widget", None),
            ("trim", "function", None, None),
            ("m", "variable", None, "Map"),
        },
        {("type:Widget", "size"), ("type:Map", "get"), ("type:string", "trim"), ("name:p", "trim")},
        {"fs": "fs", "rf": "fs.readFile", "path": "./path"},
    ),
    (
        "typescript",
        TS,
        {
            ("count", "field", "Widget", "number"),
            ("render", "method", "Widget", None),
            ("Shape", "interface", None, None),
            ("area", "method", "Shape", None),
            ("Alias", "type", None, "string"),
            ("Red", "constant", "Color", None),
            ("v", "variable", None, "Widget"),
        },
        {("type:Widget", "count"), ("type:number", "toFixed"), ("type:Widget", "render")},
        {"A": "./a.A"},
    ),
    (
        "go",
        GO,
        {
            ("P", "struct", None, None),
            ("Y", "field", "P", "string"),
            ("Get", "method", "P", None),
            ("M", "method", "I", None),
            ("q", "variable", None, "P"),
            ("x", "variable", None, "int"),
        },
        {("type:P", "X"), ("type:P", "Get"), ("name:f", "Println")},
        {"f": "fmt", "strings": "strings"},
    ),
    (
        "rust",
        RUST,
        {
            ("P", "struct", None, None),
            ("x", "field", "P", "i32"),
            ("A", "constant", "E", None),
            ("m", "method", "T", None),
            ("new", "method", "P", None),
            ("v", "variable", None, "Vec"),
            ("p", "variable", None, "P"),
        },
        {("type:P", "x"), ("type:P", "get"), ("type:Vec", "push"), ("name:Vec", "new")},
        {"HashMap": "std::collections::HashMap", "baz": "foo::bar"},
    ),
    (
        "java",
        JAVA,
        {
            ("A", "class", None, None),
            ("x", "field", "A", "int"),
            ("get", "method", "A", None),
            ("s", "variable", None, "StringBuilder"),
            ("t", "variable", None, "String"),
            ("m", "method", "I", None),
        },
        {("type:StringBuilder", "append"), ("type:List", "get"), ("type:String", "trim")},
        {"List": "java.util.List"},
    ),
    (
        "c",
        C,
        {
            ("P", "struct", None, None),
            ("name", "field", "P", "char *"),
            ("P_t", "type", None, "struct P"),
            ("MAX", "constant", None, None),
            ("get", "function", None, None),
            ("q", "variable", None, "struct P"),
        },
        {("type:P", "x"), ("type:P", "name"), ("name:p", "name")},
        {"stdio": "stdio"},
    ),
    (
        "cpp",
        CPP,
        {
            ("A", "class", None, None),
            ("x", "field", "A", "int"),
            ("m", "method", "A", None),
            ("v", "variable", None, "std::vector<int>"),
        },
        {("type:std::vector", "push_back"), ("type:A", "x"), ("type:std::string", "size")},
        {"vector": "vector"},
    ),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_query_compiles_with_every_capture_family(spec: object) -> None:
    query = spec.query()  # type: ignore[attr-defined]
    assert query is not None
    names = {query.capture_name(i) for i in range(query.capture_count)}
    for family in ("name", "import", "access", "access.object", "access.member", "call", "ref"):
        assert family in names, family
    assert any(n.startswith("def.") for n in names)


@pytest.mark.parametrize(("language", "source", "symbols", "members", "imports"), CASES)
def test_extraction_per_language(
    language: str,
    source: str,
    symbols: set[tuple[str, str, str | None, str | None]],
    members: set[tuple[str, str]],
    imports: dict[str, str],
) -> None:
    fs = extract_symbols(spec_for(language), source, None, f"sample.{language}")
    got = {(s.name, s.kind, s.container, s.type) for s in fs.symbols}
    assert symbols <= got, symbols - got
    assert members <= set(fs.member_counts), members - set(fs.member_counts)
    assert imports.items() <= fs.imports.items()


@pytest.mark.parametrize(
    ("language", "source", "function", "params"),
    [
        ("typescript", TS, "top", (("a", "string"), ("b", "number"))),
        ("go", GO, "Get", (("a", "int"), ("b", "string"))),
        ("rust", RUST, "new", (("x", "i32"),)),
        ("java", JAVA, "get", (("a", "int"), ("rest", "String"))),
        ("c", C, "get", (("p", "struct P *"), ("n", "int"))),
        ("cpp", CPP, "f", (("s", "std::string &"), ("d", "int"))),
    ],
)
def test_params_per_language(
    language: str, source: str, function: str, params: tuple[tuple[str, str], ...]
) -> None:
    fs = extract_symbols(spec_for(language), source, None, "x")
    func = next(s for s in fs.symbols if s.name == function and s.params)
    assert func.params == params
    assert all(s.local for s in fs.symbols if s.kind == "parameter")


@pytest.mark.parametrize(
    ("language", "source", "name", "doc"),
    [
        ("javascript", JS, "Widget", "A widget."),
        ("go", GO, "P", "P is a point."),
        ("rust", RUST, "P", "A point."),
        ("java", JAVA, "A", "A thing."),
    ],
)
def test_leading_comment_docs(language: str, source: str, name: str, doc: str) -> None:
    fs = extract_symbols(spec_for(language), source, None, "x")
    assert next(s for s in fs.symbols if s.name == name).doc == doc


def test_call_captures_name_the_callee() -> None:
    spec = spec_for("python")
    assert spec is not None
    tree = spec.parser().parse(b"a.b(1)\nf(x)\n")
    query = spec.query()
    assert query is not None
    captures = QueryCursor(query).captures(tree.root_node)
    assert sorted(n.text for n in captures["call.callee"]) == [b"a.b", b"f"]
