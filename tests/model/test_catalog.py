"""Catalog data and the ``models`` command (no network: pull must fail fast and clearly)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from glm_lsp.model.catalog import find_entry, load_catalog, models_main, resolve_model
from glm_lsp.model.llama import default_tiny_model_path
from glm_lsp.model.templates import TEMPLATES

ENTRIES = load_catalog()


def test_catalog_has_the_required_models() -> None:
    names = {e.name for e in ENTRIES}
    assert {"codegeex4-all-9b", "glm-4-9b-0414", "glm-edge-1.5b-chat", "glm-edge-4b-chat"} <= names
    assert "glm-tiny-test" in names


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_entries_are_consistent(entry: object) -> None:
    from glm_lsp.model.catalog import CatalogEntry

    assert isinstance(entry, CatalogEntry)
    assert entry.template in TEMPLATES
    assert entry.sha256 == "" or (len(entry.sha256) == 64 and int(entry.sha256, 16) >= 0)
    assert entry.license


def test_tiny_entry_pins_the_shipped_file() -> None:
    tiny = find_entry("glm-tiny-test")
    assert tiny is not None and tiny.pinned
    data = default_tiny_model_path().read_bytes()
    assert hashlib.sha256(data).hexdigest() == tiny.sha256
    assert len(data) == tiny.size


def test_list_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert models_main(["--dir", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "codegeex4-all-9b" in out and "NOT pinned" in out


def test_verify_pinned_and_unpinned(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert models_main(["verify", "glm-tiny-test"]) == 0
    assert "sha256 matches" in capsys.readouterr().out
    # a well-formed GGUF under a catalog file name whose sha256 is not pinned
    fake = tmp_path / "codegeex4-all-9b-Q4_K_M.gguf"
    fake.write_bytes(default_tiny_model_path().read_bytes())
    assert models_main(["--dir", str(tmp_path), "verify", "codegeex4-all-9b"]) == 0
    assert "pins no sha256" in capsys.readouterr().out


def test_verify_detects_corruption(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = bytearray(default_tiny_model_path().read_bytes())
    data[-10] ^= 0xFF
    bad = tmp_path / "glm-tiny-q8_0.gguf"
    bad.write_bytes(bytes(data))
    assert models_main(["verify", str(bad)]) == 1
    assert "FAIL" in capsys.readouterr().out
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(bytes(data[:1000]))
    assert models_main(["verify", str(cut)]) == 1


def test_pull_offline_fails_fast(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.invalid")
    start = time.monotonic()
    code = models_main(["--dir", str(tmp_path), "pull", "codegeex4-all-9b", "--timeout", "2"])
    assert code == 3
    assert time.monotonic() - start < 60  # a hang guard (retry loops), not a speed check
    assert not list(tmp_path.glob("*.gguf"))  # nothing half-written is left behind
    assert "offline" in capsys.readouterr().err


def test_pull_unknown_and_unpinned(capsys: pytest.CaptureFixture[str]) -> None:
    assert models_main(["pull", "no-such-model"]) == 2
    assert models_main(["pull", "glm-4-9b-0414"]) == 2
    err = capsys.readouterr().err
    assert "unknown model" in err and "no hub file" in err


def test_resolve_model(tmp_path: Path) -> None:
    assert resolve_model(str(tmp_path / "x.gguf")) == tmp_path / "x.gguf"
    assert resolve_model("glm-tiny-test") == default_tiny_model_path()
    assert resolve_model("nonexistent-name") is None
