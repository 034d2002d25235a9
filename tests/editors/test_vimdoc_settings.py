"""The Neovim help lists every server setting the schema has (one source: glm_lsp.config)."""

from __future__ import annotations

from pathlib import Path

from glm_lsp.config import SCHEMA

VIMDOC = Path(__file__).resolve().parents[2] / "editors" / "neovim" / "doc" / "glm-lsp.txt"


def test_every_setting_is_in_the_vimdoc() -> None:
    text = VIMDOC.read_text(encoding="utf-8")
    missing = [entry.path for entry in SCHEMA if entry.path not in text]
    assert missing == []
