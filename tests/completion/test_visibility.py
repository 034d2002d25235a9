"""Which names the cursor sees: scope ranges, scope distance, the name being defined."""

from __future__ import annotations

from dataclasses import replace

from cursor_ctx import make_ctx

from glm_lsp.analysis.symbols import Symbol
from glm_lsp.completion.visibility import being_defined, name_being_defined, scope_distance, visible
from glm_lsp.syntax.context import Scope


def test_name_being_defined() -> None:
    assert name_being_defined(make_ctx("budget: int = bu|")) == "budget"
    assert name_being_defined(make_ctx("    const total = to|")) == "total"
    assert name_being_defined(make_ctx("x += y|")) is None
    assert name_being_defined(make_ctx("if a == b|")) is None


def test_being_defined_only_on_the_cursor_line() -> None:
    ctx = make_ctx("total = 1\ntotal = to|")
    earlier = Symbol("total", "variable", start=0)
    here = Symbol("total", "variable", start=10)
    assert not being_defined(earlier, ctx, "total")
    assert being_defined(here, ctx, "total")


def test_visible_in_range_or_in_an_enclosing_scope() -> None:
    local = Symbol("x", "variable", scope_start=10, scope_end=20, local=True)
    assert visible(local, 15, set())
    assert not visible(local, 25, set())
    assert visible(local, 25, {10})  # the syntax layer says its scope encloses the cursor
    assert visible(Symbol("y", "variable"), 99, set())  # no scope recorded: everywhere


def test_scope_distance_counts_the_function_scopes_passed() -> None:
    scopes = (
        Scope("function", "inner", 50, 60),
        Scope("block", "", 40, 70),
        Scope("function", "outer", 10, 90),
    )
    ctx = replace(make_ctx("|"), scopes=scopes)
    assert scope_distance(ctx, Symbol("a", "variable", scope_start=50, scope_end=60)) == 0
    assert scope_distance(ctx, Symbol("c", "variable", scope_start=95, scope_end=99)) == 2
