"""Expression inference within one file, with and without the workspace index."""

from __future__ import annotations

import pytest

from glm_lsp.analysis.extract import extract_symbols
from glm_lsp.analysis.symbols import Symbol
from glm_lsp.analysis.types import infer_type
from glm_lsp.syntax.languages import spec_for

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
