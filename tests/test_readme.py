"""The README's settings table is generated from the schema: keep them from drifting."""

from __future__ import annotations

from pathlib import Path

from glm_lsp.config import settings_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_settings_table_matches_schema() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table().strip() in readme


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme
    assert "scripts/test.sh" in ci


def test_readme_documents_the_embedded_default_model() -> None:
    """The README must say what a fresh install loads (the catalog's default entry) and that
    the demo's ghost text comes from it, not from the random-weights test model."""
    from glm_lsp.model.catalog import default_entry

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    entry = default_entry()
    assert entry is not None
    assert f"`{entry.name}`" in readme
    assert "embedded default" in readme
    assert "tiny random-weights test model** that only proves" not in readme
