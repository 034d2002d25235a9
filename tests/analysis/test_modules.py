"""Modules outside the workspace: resolved, parsed once, answered by the index when it can."""

from __future__ import annotations

from pathlib import Path

from glm_lsp.analysis.modules import ExternalModules
from glm_lsp.analysis.symbols import FileSymbols


def _nothing_indexed(path: str) -> FileSymbols | None:
    return None


def test_parses_once_and_caches() -> None:
    modules = ExternalModules(None, 1_000)  # the size floor still admits library modules
    first = modules.symbols("json", "python", None, _nothing_indexed)
    assert first is not None and any(s.name == "dumps" for s in first.symbols)
    assert modules.symbols("json", "python", None, _nothing_indexed) is first
    assert modules.cached() == 1


def test_the_index_answers_for_its_own_files(tmp_path: Path) -> None:
    (tmp_path / "local_mod.py").write_text("def here(): ...\n", encoding="utf-8")
    modules = ExternalModules(None, 1_000)
    modules.set_root(tmp_path)
    indexed = FileSymbols(str(tmp_path / "local_mod.py"), "python")
    found = modules.symbols("local_mod", "python", None, {indexed.path: indexed}.get)
    assert found is indexed
    assert modules.cached() == 0


def test_compiled_in_and_missing_modules() -> None:
    modules = ExternalModules(None, 1_000)
    compiled = modules.symbols("sys", "python", None, _nothing_indexed)
    assert compiled is not None and any(s.name == "argv" for s in compiled.symbols)
    assert modules.symbols("no_such_module_xyz", "python", None, _nothing_indexed) is None
    assert modules.symbols("fmt", "go", None, _nothing_indexed) is None
