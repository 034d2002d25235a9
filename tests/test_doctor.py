"""``doctor`` reports on this installation and says what to fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glm_lsp.doctor import doctor_main
from glm_lsp.model.llama import default_tiny_model_path

pytestmark = pytest.mark.slow  # loads real models or starts server processes


@pytest.fixture(autouse=True)
def no_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    monkeypatch.delenv("GLM_LSP_CATALOG", raising=False)


def test_doctor_json_with_the_embedded_default(capsys: pytest.CaptureFixture[str]) -> None:
    """No argument, no env: the model the server would load with default settings."""
    assert doctor_main(["--json", "--load"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["llama_cpp"]["ok"] is True
    model = report["model"]
    assert model["source"] == "embedded default (glm-code-tiny)"
    assert Path(model["path"]).name == "glm-code-tiny-q8_0.gguf"
    assert model["architecture"] == "chatglm"
    assert model["template"] == "codegeex4"
    assert model["context_length"] == 1024
    assert "trained on Python" in model["note"] and "gibberish" not in model["note"]
    assert "python" in report["grammars"]["found"]
    assert report["load"]["ok"] is True


def test_doctor_names_the_random_test_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor_main(["--json", "--model", str(default_tiny_model_path())]) == 0
    model = json.loads(capsys.readouterr().out)["model"]
    assert model["source"] == "argument" and model["context_length"] == 8192
    assert "gibberish" in model["note"]


def test_doctor_names_the_embedded_model_given_by_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert doctor_main(["--json", "--model", "glm-code-tiny"]) == 0
    model = json.loads(capsys.readouterr().out)["model"]
    assert model["source"] == "argument" and "trained on Python" in model["note"]


def test_doctor_reports_broken_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 3)
    assert doctor_main(["--model", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "!! model" in out and "fix:" in out


def test_doctor_reports_a_missing_embedded_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[[model]]\nname = "emb"\ntitle = "t"\nrepo = ""\nfile = "emb.gguf"\n'
        'local = "emb.gguf"\nsize = 0\nsize_hint = "1 MB"\nsha256 = ""\n'
        'template = "codegeex4"\narch = "chatglm"\nlicense = "x"\ndefault = true\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("GLM_LSP_CATALOG", str(catalog))
    assert doctor_main(["--json"]) == 1
    model = json.loads(capsys.readouterr().out)["model"]
    assert model["ok"] is False and model["source"] == "embedded default (emb)"
    assert str(tmp_path / "emb.gguf") in model["error"]
    assert "reinstall glm-lsp" in model["fix"]


def test_expectations_on_a_slow_machine_advise_a_small_model_for_lines() -> None:
    from glm_lsp.doctor import expectations

    slow = expectations(prefill_tps=3.0, decode_tps=1.0, budget=2048)
    assert slow["expect_first_ghost_text_s"] == round(2048 / 3 + 16 / 1, 1)
    assert slow["expect_next_keystroke_s"] == round(8 / 3 + 16 / 1, 2)
    assert "route.rules" in slow["advice"]
    fast = expectations(prefill_tps=4000.0, decode_tps=800.0, budget=896)
    assert fast["expect_next_keystroke_s"] < 0.1 and "advice" not in fast
    assert expectations(0.0, 10.0, 100) == {}
