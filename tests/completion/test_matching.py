"""Prefix match grades: the order the dropdown falls back through as typing gets sloppier."""

from __future__ import annotations

import pytest

from glm_lsp.completion.matching import (
    CASE_INSENSITIVE,
    EXACT,
    HUMP,
    SUBSEQUENCE,
    humps,
    match_quality,
)


@pytest.mark.parametrize(
    ("prefix", "name", "grade"),
    [
        ("", "anything", EXACT),
        ("app", "append", EXACT),
        ("append", "append", EXACT),
        ("App", "append", CASE_INSENSITIVE),
        ("APP", "append", CASE_INSENSITIVE),
        ("gv", "get_value", HUMP),
        ("gV", "getValue", HUMP),
        ("gval", "get_value", HUMP),
        ("hv", "getHTTPValue", HUMP),
        ("ghv", "getHTTPValue", HUMP),
        ("v", "get_value", HUMP),
        ("apd", "append", SUBSEQUENCE),
        ("aen", "append", SUBSEQUENCE),
        ("e", "get_value", None),
        ("p", "append", None),
        ("xyz", "append", None),
        ("appendx", "append", None),
        ("_", "value", None),
        ("_p", "_private", EXACT),
    ],
)
def test_match_quality(prefix: str, name: str, grade: float | None) -> None:
    assert match_quality(prefix, name) == grade


def test_grades_are_strictly_ordered() -> None:
    assert EXACT > CASE_INSENSITIVE > HUMP > SUBSEQUENCE > 0


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("get_value", ["get", "value"]),
        ("getValue", ["get", "Value"]),
        ("getHTTPValue", ["get", "HTTP", "Value"]),
        ("HTTPServer", ["HTTP", "Server"]),
        ("__init__", ["init"]),
        ("x", ["x"]),
        ("utf8Decode", ["utf8", "Decode"]),
        ("", []),
    ],
)
def test_humps(name: str, parts: list[str]) -> None:
    assert humps(name) == parts
