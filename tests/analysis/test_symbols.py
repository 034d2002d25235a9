"""What a file offers to other modules."""

from __future__ import annotations

from glm_lsp.analysis.extract import extract_symbols
from glm_lsp.syntax.languages import spec_for

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


def test_exports_hold_only_module_level_names() -> None:
    fs = extract_symbols(spec_for("python"), PY_SCOPES, None, "/w/scopes.py")
    exported = {(s.name, s.kind) for s in fs.exports()}
    assert exported == {
        ("os", "module"),
        ("f", "function"),
        ("lam", "function"),
        ("total", "variable"),
        ("evens", "variable"),
        ("C", "class"),
    }
