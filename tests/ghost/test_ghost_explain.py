"""``glm-lsp complete --ghost``: the embedded model's ghost path explained, gate included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glm_lsp.oneshot import format_ghost, ghost_at, ghost_json

pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.slow


def test_ghost_path_shows_confidence_and_the_catalog_threshold(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("class A:\n    def __init__(self, name):\n        self.name = \n")
    out = ghost_at(src, 2, len("        self.name = "))
    assert out.model and out.mode == "LINE"
    assert out.confidence is not None and out.confidence["score"] is not None
    assert out.confidence["threshold_source"] == "catalog glm-code-tiny"
    shown = out.confidence["score"] >= out.confidence["threshold"]
    assert (out.text is not None) == shown
    text = format_ghost(out)
    assert "gate:" in text and "confidence:" in text
    json.dumps(ghost_json(src, 2, len("        self.name = ")))  # plain data
