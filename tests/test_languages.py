"""Every registered language must load its grammar from the official wheel and parse."""

from __future__ import annotations

import pytest

from glm_lsp.syntax.languages import SPECS, all_trigger_characters, spec_for

SAMPLES = {
    "python": "def f(x):\n    return x.y\n",
    "javascript": "function f(x) { return x.y; }\n",
    "typescript": "function f(x: number): number { return x; }\n",
    "tsx": "const A = () => <div>{x.y}</div>;\n",
    "go": "package main\nfunc f(x int) int { return x }\n",
    "rust": "fn f(x: i32) -> i32 { x }\n",
    "java": "class A { int f(int x) { return x; } }\n",
    "c": "int f(int x) { return x; }\n",
    "cpp": "namespace n { int f(int x) { return x; } }\n",
}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_grammar_parses_sample_without_errors(spec: object) -> None:
    from glm_lsp.syntax.languages import LanguageSpec

    assert isinstance(spec, LanguageSpec)
    tree = spec.parser().parse(SAMPLES[spec.name].encode())
    assert not tree.root_node.has_error, spec.name


@pytest.mark.parametrize(
    ("language_id", "path", "expected"),
    [
        ("python", None, "python"),
        ("typescriptreact", None, "tsx"),
        ("TypeScript", None, "typescript"),
        (None, "/x/a.rs", "rust"),
        ("plaintext", "/x/a.hpp", "cpp"),
        ("cobol", "/x/a.cbl", None),
        (None, None, None),
    ],
)
def test_spec_for(language_id: str | None, path: str | None, expected: str | None) -> None:
    spec = spec_for(language_id, path)
    assert (spec.name if spec else None) == expected


def test_trigger_characters_are_single_characters() -> None:
    chars = all_trigger_characters()
    assert all(len(c) == 1 for c in chars)
    assert {".", ":", ">"} <= set(chars)


def test_query_includes_are_expanded_in_place() -> None:
    tsx, ts, cpp = (spec_for(n) for n in ("tsx", "typescript", "cpp"))
    assert tsx is not None and ts is not None and cpp is not None
    assert "; include:" not in tsx.query_source()
    assert ts.query_source() in tsx.query_source()
    # C++ keeps the C patterns first, then its own (pattern order is as written).
    source = cpp.query_source()
    assert source.index("@def.function") < source.index("qualified_identifier")
    for spec in (tsx, ts, cpp):
        query = spec.query()
        assert query is not None and query.pattern_count > 10
