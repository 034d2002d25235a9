"""Catalog data and the ``models`` command (no network: pull must fail fast and clearly)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from glm_lsp.model.catalog import (
    EXIT_NOT_PINNED,
    CatalogError,
    data_path,
    default_entry,
    find_entry,
    load_catalog,
    models_dir,
    resolve_model,
    template_for_file,
)
from glm_lsp.model.llama import default_tiny_model_path
from glm_lsp.model.models_cli import models_main
from glm_lsp.model.templates import TEMPLATES

ENTRIES = load_catalog()


def test_catalog_has_the_required_models() -> None:
    names = {e.name for e in ENTRIES}
    assert {"codegeex4-all-9b", "glm-4-9b-0414", "glm-edge-1.5b-chat", "glm-edge-4b-chat"} <= names
    # the random-weights plumbing model is a test fixture of the source tree, not shipped
    assert "glm-tiny-test" not in names


def test_the_catalog_is_package_data() -> None:
    """Found through importlib.resources in glm_lsp/data/, not relative to the repository."""
    import importlib.resources

    shipped = importlib.resources.files("glm_lsp").joinpath("data").joinpath("catalog.toml")
    assert data_path("catalog.toml") == Path(str(shipped))
    assert data_path("catalog.toml").parent.name == "data"
    assert data_path("catalog.toml").parent.parent.name == "glm_lsp"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_entries_are_consistent(entry: object) -> None:
    from glm_lsp.model.catalog import CatalogEntry

    assert isinstance(entry, CatalogEntry)
    assert entry.template in TEMPLATES
    assert entry.sha256 == "" or (len(entry.sha256) == 64 and int(entry.sha256, 16) >= 0)
    assert entry.license


def test_pulled_files_get_one_directory_per_entry(tmp_path: Path) -> None:
    """GLM-Edge 1.5B and 4B share the file name ggml-model-Q4_K_M.gguf."""
    small, big = find_entry("glm-edge-1.5b-chat"), find_entry("glm-edge-4b-chat")
    assert small is not None and big is not None and small.file == big.file
    assert small.path_in(tmp_path) == tmp_path / "glm-edge-1.5b-chat" / small.file
    assert big.path_in(tmp_path) == tmp_path / "glm-edge-4b-chat" / big.file
    assert template_for_file(big.path_in(tmp_path)) == big.template


def test_list_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert models_main(["--dir", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "codegeex4-all-9b" in out and "NOT pinned" in out
    default_line = next(line for line in out.splitlines() if "*embedded default*" in line)
    assert default_line.startswith("glm-code-tiny ")


def test_the_embedded_default_is_the_trained_tiny_model() -> None:
    defaults = [e for e in ENTRIES if e.default]
    assert [e.name for e in defaults] == ["glm-code-tiny"]
    entry = defaults[0]
    shipped = data_path("models", "glm-code-tiny-q8_0.gguf")
    assert entry.path_in(Path("/elsewhere")) == shipped
    assert (entry.template, entry.arch, entry.repo) == ("codegeex4", "chatglm", "")
    assert "embedded default" in entry.title and "CORPUS.md" in entry.license
    assert not entry.recommended
    assert default_entry() == entry


def test_embedded_default_file_is_shipped_and_verifies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Holds both before the final file is pinned (size 0, empty sha256: verify says "not
    verified" and passes on a well-formed GGUF) and after (both must then match)."""
    entry = default_entry()
    assert entry is not None
    path = entry.path_in(models_dir())
    assert path.is_file(), f"{path} is missing"
    data = path.read_bytes()
    if entry.size:
        assert len(data) == entry.size
    if entry.pinned:
        assert hashlib.sha256(data).hexdigest() == entry.sha256
    assert models_main(["verify", "glm-code-tiny"]) == 0
    out = capsys.readouterr().out
    assert ("sha256 matches" if entry.pinned else "pins no sha256") in out
    # the whole-directory verify (no target) includes it and still passes
    assert models_main(["--dir", str(tmp_path), "verify"]) == 0
    assert "glm-code-tiny" in capsys.readouterr().out


_ENTRY = """
[[model]]
name = "{name}"
title = "t"
repo = ""
file = "{name}.gguf"
local = "{name}.gguf"
size = 0
size_hint = "1 MB"
sha256 = ""
template = "codegeex4"
arch = "chatglm"
license = "Apache-2.0"
default = {default}
"""


def _catalog(tmp_path: Path, *entries: tuple[str, str]) -> Path:
    path = tmp_path / "catalog.toml"
    text = "".join(_ENTRY.format(name=name, default=default) for name, default in entries)
    path.write_text(text, encoding="utf-8")
    return path


def test_two_embedded_defaults_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _catalog(tmp_path, ("one", "true"), ("two", "true"))
    with pytest.raises(CatalogError, match="only one model may be the embedded default"):
        load_catalog(path)
    assert models_main(["--catalog", str(path), "list"]) == 2
    assert "one, two" in capsys.readouterr().err


def test_default_must_be_a_boolean(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="default must be a boolean"):
        load_catalog(_catalog(tmp_path, ("one", '"yes"')))


def test_catalog_without_a_default(tmp_path: Path) -> None:
    entries = load_catalog(_catalog(tmp_path, ("one", "false"), ("two", "false")))
    assert default_entry(entries) is None


def test_catalog_path_is_injectable_and_local_files_follow_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$GLM_LSP_CATALOG`` swaps the catalog; ``local`` is relative to the file that says it."""
    _catalog(tmp_path, ("mine", "true"))
    monkeypatch.setenv("GLM_LSP_CATALOG", str(tmp_path / "catalog.toml"))
    entry = default_entry()
    assert entry is not None and entry.name == "mine"
    assert entry.path_in(Path("/unused")) == tmp_path / "mine.gguf"
    assert resolve_model("mine") == tmp_path / "mine.gguf"
    assert find_entry("glm-code-tiny") is None


def test_verify_pinned_and_unpinned(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert models_main(["verify", "glm-code-tiny"]) == 0
    assert "sha256 matches" in capsys.readouterr().out
    # a well-formed GGUF under a catalog entry whose sha256 is not pinned: never "OK"
    fake = tmp_path / "codegeex4-all-9b" / "codegeex4-all-9b-Q4_K_M.gguf"
    fake.parent.mkdir()
    fake.write_bytes(default_tiny_model_path().read_bytes())
    assert models_main(["--dir", str(tmp_path), "verify", "codegeex4-all-9b"]) == EXIT_NOT_PINNED
    out = capsys.readouterr().out
    assert out.startswith("NOT PINNED") and "not verified" in out and "OK" not in out
    assert hashlib.sha256(fake.read_bytes()).hexdigest() in out  # so it can be pinned
    # the same file by path: the catalog entry is found from the directory and file name
    assert models_main(["--dir", str(tmp_path), "verify", str(fake)]) == EXIT_NOT_PINNED
    # verify-all: not pinned is reported, a failure outranks it
    assert models_main(["--dir", str(tmp_path), "verify"]) == EXIT_NOT_PINNED
    capsys.readouterr()
    bad = tmp_path / "glm-edge-4b-chat" / "ggml-model-Q4_K_M.gguf"
    bad.parent.mkdir()
    bad.write_bytes(b"GGUF" + bytes(50))
    assert models_main(["--dir", str(tmp_path), "verify"]) == 1


def test_exit_codes_are_documented(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        models_main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 success; 1" in out and "4 verify: the catalog pins no sha256" in out


def test_verify_detects_corruption(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = bytearray(data_path("models", "glm-code-tiny-q8_0.gguf").read_bytes())
    data[-10] ^= 0xFF
    bad = tmp_path / "glm-code-tiny-q8_0.gguf"  # a catalog file name: its pin is checked
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
    assert not list(tmp_path.rglob("*.gguf"))  # nothing half-written is left behind
    err = capsys.readouterr().err
    assert "offline" in err and len(err.strip().splitlines()) == 1


def test_pull_unknown_and_unpinned(capsys: pytest.CaptureFixture[str]) -> None:
    assert models_main(["pull", "no-such-model"]) == 2
    assert models_main(["pull", "glm-4-9b-0414"]) == 2
    err = capsys.readouterr().err
    assert "unknown model" in err and "no hub file" in err


def test_resolve_model(tmp_path: Path) -> None:
    assert resolve_model(str(tmp_path / "x.gguf")) == tmp_path / "x.gguf"
    assert resolve_model(str(default_tiny_model_path())) == default_tiny_model_path()
    assert resolve_model("glm-code-tiny") == data_path("models", "glm-code-tiny-q8_0.gguf")
    assert resolve_model("nonexistent-name") is None
