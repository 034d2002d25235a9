"""Builtins come from the running interpreter for Python and small tables elsewhere."""

from __future__ import annotations

import builtins
import inspect

import pytest

from glm_lsp.analysis.builtins import builtin_members, builtin_names


def test_python_names_match_the_running_interpreter() -> None:
    names = {s.name: s for s in builtin_names("python")}
    expected = {n for n in dir(builtins) if not n.startswith("_")} - {"True", "False", "None"}
    assert set(names) == expected
    assert names["len"].kind == "function" and names["dict"].kind == "class"
    assert names["len"].signature == str(inspect.signature(len))
    assert names["len"].doc == inspect.getdoc(len).splitlines()[0]  # type: ignore[union-attr]


@pytest.mark.parametrize("type_name", ["str", "list", "dict", "set", "bytes", "int"])
def test_python_members_are_dir_of_the_type(type_name: str) -> None:
    members = builtin_members("python", type_name)
    assert {m.name for m in members} == set(dir(getattr(builtins, type_name)))
    assert all(m.container == type_name for m in members)


@pytest.mark.parametrize(
    ("type_name", "member", "returns"),
    [("str", "split", "list[str]"), ("str", "upper", "str"), ("TextIOWrapper", "read", "str")],
)
def test_python_member_returns(type_name: str, member: str, returns: str) -> None:
    found = {m.name: m for m in builtin_members("python", type_name)}
    assert found[member].returns == returns


def test_python_unknown_or_non_class_names_have_no_members() -> None:
    assert builtin_members("python", "NoSuchType") == []
    assert builtin_members("python", "len") == []


@pytest.mark.parametrize(
    ("language", "type_name", "member"),
    [
        ("javascript", "Array", "push"),
        ("typescript", "Promise", "then"),
        ("tsx", "console", "log"),
        ("go", "strings", "HasPrefix"),
        ("rust", "Vec", "push"),
        ("rust", "Option", "unwrap_or"),
        ("rust", "Iter", "collect"),
        ("java", "ArrayList", "add"),
        ("cpp", "std::vector", "push_back"),
    ],
)
def test_tables_for_other_languages(language: str, type_name: str, member: str) -> None:
    assert member in {m.name for m in builtin_members(language, type_name)}


def test_c_has_no_table_and_unknown_languages_are_empty() -> None:
    assert builtin_members("c", "FILE") == []
    assert builtin_names("c") == []
    assert builtin_names("cobol") == [] and builtin_members("cobol", "x") == []
    assert "console" in {s.name for s in builtin_names("javascript")}
