"""``doctor`` reports on this installation and says what to fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glm_lsp.model.doctor import doctor_main


def test_doctor_json_with_tiny_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor_main(["--json", "--load"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["llama_cpp"]["ok"] is True
    assert report["model"]["architecture"] == "chatglm"
    assert report["model"]["template"] == "codegeex4"
    assert "python" in report["grammars"]["found"]
    assert report["load"]["ok"] is True


def test_doctor_reports_broken_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 3)
    assert doctor_main(["--model", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "!! model" in out and "fix:" in out
