"""Per-region collection details: C declarators, import paths, receiver keys, local scopes."""

from __future__ import annotations

import pytest

from glm_lsp.analysis.extract import extract_symbols
from glm_lsp.analysis.symbols import FileSymbols
from glm_lsp.syntax.languages import spec_for


def _extract(language: str, source: str) -> FileSymbols:
    return extract_symbols(spec_for(language), source, None, f"/w/sample.{language}")


C_DECLS = """\
struct P { int x; struct P **next; };
char **names;
static char *dup(const char *s, int n) { char *out = 0; char **e = 0; return out; }
int main(int argc, char **argv) { return 0; }
"""


@pytest.mark.parametrize(
    ("name", "field", "expected"),
    [
        ("next", "type", "struct P **"),
        ("names", "type", "char **"),
        ("s", "type", "char *"),
        ("n", "type", "int"),
        ("out", "type", "char *"),
        ("e", "type", "char **"),
        ("argv", "type", "char **"),
        ("dup", "returns", "char *"),
        ("main", "returns", "int"),
    ],
)
@pytest.mark.parametrize("language", ["c", "cpp"])
def test_c_declarators_keep_their_pointers(
    language: str, name: str, field: str, expected: str
) -> None:
    fs = _extract(language, C_DECLS)
    found = [s for s in fs.symbols if s.name == name]
    assert len(found) == 1, [s.name for s in fs.symbols]
    assert getattr(found[0], field) == expected


def test_cpp_reference_parameter() -> None:
    fs = _extract("cpp", "int f(std::string& s) { return 0; }\n")
    assert [s.type for s in fs.symbols if s.name == "s"] == ["std::string &"]


def test_rust_use_paths_are_not_member_usage() -> None:
    fs = _extract(
        "rust",
        "use std::collections::HashMap;\nuse crate::a::{b, c};\n"
        "fn f() { let m = HashMap::new(); m.insert(1); }\n",
    )
    receivers = {receiver for receiver, _ in fs.member_counts}
    assert "name:std::collections" not in receivers
    assert "name:std" not in receivers
    assert "name:crate::a" not in receivers
    assert fs.member_counts[("name:HashMap", "new")] == 1  # a use outside `use` still counts
    assert fs.member_counts[("name:m", "insert")] == 1


def test_pointer_receiver_keys_by_struct() -> None:
    fs = _extract("c", "struct P { int x; };\nint g(struct P *p) { return p->x; }\n")
    assert fs.member_counts[("type:P", "x")] == 1


PY_SCOPES = """\
import os
def f(a):
    x = 1
    [j for j in a]
lam = lambda k: k
total = [q for q in range(3)]
evens = {v: v for v in range(3)}
class C:
    attr = 1
    def m(self):
        y = 2
"""


def test_comprehension_targets_are_local_to_the_comprehension() -> None:
    fs = _extract("python", PY_SCOPES)
    (q,) = [s for s in fs.symbols if s.name == "q"]
    assert q.local
    assert PY_SCOPES[q.scope_start : q.scope_end] == "[q for q in range(3)]"
    (q_list,) = [s for s in fs.symbols if s.name == "total"]
    assert q_list.kind == "variable"  # a comprehension value is not a callable
