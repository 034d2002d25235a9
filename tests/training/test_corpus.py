"""The corpus manifest refuses files it cannot attribute to a licence, and the split is honest.

Why: the trained weights are shipped, so every training file must come from a source whose
licence allows that, read from the installed metadata, and be the very file the manifest pins.
Each refusal case writes a one-line manifest and checks that ``load`` names the offending file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import corpus
import pytest

BENCH_RANKING = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ranking.py"
HEADER = "# source\tversion\tlicence\tpath\tsha256\tsplit\n"


def _bench_ranking() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_ranking", BENCH_RANKING)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_ranking"] = module
    spec.loader.exec_module(module)
    return module


def _manifest(tmp_path: Path, *rows: tuple[str, ...]) -> Path:
    path = tmp_path / "manifest.tsv"
    path.write_text(HEADER + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _owned_py(dist_name: str) -> str:
    """A ``.py`` file the distribution's RECORD lists (what a valid manifest row points at)."""
    files = md.distribution(dist_name).files or []
    return next(str(f) for f in sorted(files, key=str) if str(f).endswith(".py"))


def _row(source: str, rel: str, **override: str) -> tuple[str, ...]:
    """A manifest row for ``rel`` with the installed version, licence and the file's digest."""
    have = corpus.sources()[source]
    fields = {
        "version": have.version,
        "licence": have.licence,
        "sha256": _sha(have.root / rel),
        "split": "train",
    }
    fields.update(override)
    return (
        source,
        fields["version"],
        fields["licence"],
        rel,
        fields["sha256"],
        fields["split"],
    )


def _refused(path: Path, *needles: str) -> str:
    with pytest.raises(corpus.CorpusError) as info:
        corpus.load(path)
    message = str(info.value)
    for needle in needles:
        assert needle in message, message
    return message


def test_a_valid_row_loads(tmp_path: Path) -> None:
    """The control for every refusal below: the same construction without the fault loads."""
    rel = _owned_py("pygls")
    docs = corpus.load(_manifest(tmp_path, _row("pygls", rel)))
    assert [(d.source, d.path, d.split) for d in docs] == [("pygls", rel, "train")]
    assert docs[0].text == (corpus.sources()["pygls"].root / rel).read_text(encoding="utf-8")


def test_unknown_source_is_refused(tmp_path: Path) -> None:
    rel = _owned_py("pygls")
    row = ("my-scraped-code", "1.0", "MIT", rel, "0" * 64, "train")
    _refused(_manifest(tmp_path, row), f"my-scraped-code/{rel}", "unknown")


@pytest.mark.parametrize("dist_name", ["pathspec", "tqdm"])
def test_installed_mpl_distribution_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dist_name: str
) -> None:
    """An installed MPL-2.0 package, even when listed as a source, cannot be used."""
    monkeypatch.setattr(corpus, "PACKAGES", (*corpus.PACKAGES, (dist_name, 100_000)))
    have = corpus.sources()[dist_name]
    assert not corpus.licence_allowed(have.licence)
    rel = _owned_py(dist_name)
    for claimed in ("MPL-2.0", "MIT", have.licence):
        path = _manifest(tmp_path, _row(dist_name, rel, licence=claimed))
        _refused(path, f"{dist_name}/{rel}", "licence")


def test_licence_column_must_match_installed_metadata(tmp_path: Path) -> None:
    """Both licences are allowed, but the manifest's claim is not what the package says."""
    rel = _owned_py("pygls")
    assert corpus.sources()["pygls"].licence == "Apache-2.0"
    path = _manifest(tmp_path, _row("pygls", rel, licence="MIT"))
    _refused(path, f"pygls/{rel}", "'MIT'", "'Apache-2.0'")


def test_version_must_match_installed(tmp_path: Path) -> None:
    rel = _owned_py("pygls")
    path = _manifest(tmp_path, _row("pygls", rel, version="0.0.1"))
    _refused(path, f"pygls/{rel}", "0.0.1")


def test_file_not_in_the_distribution_record_is_refused(tmp_path: Path) -> None:
    """A file beside pygls in site-packages (another package's, MPL) is not pygls's to license."""
    rel = _owned_py("pathspec")
    assert (corpus.sources()["pygls"].root / rel).is_file()
    path = _manifest(tmp_path, _row("pygls", rel))
    _refused(path, f"pygls/{rel}", "not a file of the pygls distribution")


def test_path_escaping_the_source_root_is_refused(tmp_path: Path) -> None:
    root = corpus.sources()["pygls"].root
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n" * 50, encoding="utf-8")
    rel = "../" * len(root.resolve().parts) + outside.resolve().as_posix().lstrip("/")
    assert (root / rel).resolve() == outside.resolve()
    row = ("pygls", corpus.sources()["pygls"].version, "Apache-2.0", rel, _sha(outside), "train")
    _refused(_manifest(tmp_path, row), "escapes")


def test_stdlib_path_escaping_its_root_is_refused(tmp_path: Path) -> None:
    stdlib = corpus.stdlib_root()
    outside = tmp_path / "notstdlib.py"
    outside.write_text("y = 2\n" * 50, encoding="utf-8")
    rel = "../" * len(stdlib.resolve().parts) + outside.resolve().as_posix().lstrip("/")
    row = ("cpython-stdlib", corpus.sources()["cpython-stdlib"].version, "PSF-2.0", rel)
    _refused(_manifest(tmp_path, (*row, _sha(outside), "train")), "escapes")


@pytest.mark.parametrize(
    "rel", ["site-packages/mpl_pkg/core.py", "json/../site-packages/mpl_pkg/core.py"]
)
def test_third_party_code_inside_the_stdlib_tree_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rel: str
) -> None:
    """The base interpreter's ``site-packages`` sits inside the stdlib directory.

    Its files are not PSF-licensed (pip, tqdm... live there), so a manifest row that calls them
    ``cpython-stdlib`` must be refused, as ``select`` skips them. A fake stdlib keeps this
    independent of what the machine's interpreter has installed.
    """
    fake = tmp_path / "lib" / "python3"
    third_party = fake / "site-packages" / "mpl_pkg" / "core.py"
    third_party.parent.mkdir(parents=True)
    third_party.write_text("# SPDX-License-Identifier: MPL-2.0\nz = 3\n" * 20, encoding="utf-8")
    (fake / "json").mkdir()
    monkeypatch.setattr(corpus, "stdlib_root", lambda: fake)
    row = ("cpython-stdlib", corpus.sources()["cpython-stdlib"].version, "PSF-2.0", rel)
    _refused(_manifest(tmp_path, (*row, _sha(third_party), "train")), rel)


def test_changed_content_is_refused(tmp_path: Path) -> None:
    rel = _owned_py("pygls")
    digest = _sha(corpus.sources()["pygls"].root / rel)
    changed = ("f" if digest[0] != "f" else "e") + digest[1:]
    _refused(_manifest(tmp_path, _row("pygls", rel, sha256=changed)), f"pygls/{rel}", "sha256")


@pytest.mark.parametrize("n_fields", [5, 7])
def test_wrong_field_count_is_refused(tmp_path: Path, n_fields: int) -> None:
    rel = _owned_py("pygls")
    row = _row("pygls", rel)
    fields = row[:n_fields] if n_fields < len(row) else (*row, "extra")
    path = _manifest(tmp_path, fields)
    _refused(path, f"{path}:2", "6 tab-separated fields")


def test_refusal_names_the_bad_line_among_good_ones(tmp_path: Path) -> None:
    files = [f for f in md.distribution("pygls").files or [] if str(f).endswith(".py")]
    good = [_row("pygls", str(f)) for f in sorted(files, key=str)[:3]]
    bad = _row("pygls", str(sorted(files, key=str)[3]), licence="GPL-3.0-only")
    path = _manifest(tmp_path, good[0], good[1], bad, good[2])
    _refused(path, f"{path}:4", bad[3])


@pytest.mark.parametrize(
    ("expr", "allowed"),
    [
        ("MIT", True),
        ("PSF-2.0", True),
        ("Apache-2.0 OR BSD-2-Clause", True),
        ("(MIT AND BSD-3-Clause)", True),
        ("MIT AND ISC AND 0BSD", True),
        ("BSD", True),
        ("", False),
        ("MPL-2.0", False),
        ("MPL-2.0 AND MIT", False),
        ("MIT OR GPL-3.0-only", False),
        ("GPL-2.0-or-later", False),
        ("LGPL-3.0", False),
        ("BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0", False),
        ("mit", False),
        ("Proprietary", False),
    ],
)
def test_licence_allowed(expr: str, allowed: bool) -> None:
    assert corpus.licence_allowed(expr) is allowed


def test_committed_manifest_loads_with_allowed_licences_only() -> None:
    docs = corpus.load()
    assert len(docs) > 1000
    sources = corpus.sources()
    for doc in docs:
        assert doc.split in ("train", "heldout"), doc
        assert corpus.licence_allowed(sources[doc.source].licence), doc.source
    for line in corpus.MANIFEST.read_text(encoding="utf-8").splitlines()[1:]:
        assert corpus.licence_allowed(line.split("\t")[2]), line
    used = {d.source for d in docs}
    assert used == {"cpython-stdlib", *(name for name, _cap in corpus.PACKAGES)}


def test_package_byte_caps_hold() -> None:
    size: dict[str, int] = {}
    for doc in corpus.load(verify_hash=False):
        size[doc.source] = size.get(doc.source, 0) + len(doc.text.encode())
    for name, cap in corpus.PACKAGES:
        assert 0 < size[name] <= cap, (name, size[name], cap)


def test_heldout_files_are_never_trained_on() -> None:
    docs = corpus.load(verify_hash=False)
    heldout = {(d.source, d.path) for d in docs if d.split == "heldout"}
    train = {(d.source, d.path) for d in docs if d.split == "train"}
    assert heldout and not heldout & train
    assert all(source == "cpython-stdlib" and "/" not in path for source, path in heldout)
    # Same text under another name would leak too.
    heldout_text = {d.text for d in docs if d.split == "heldout"}
    assert not any(d.text in heldout_text for d in docs if d.split == "train")


def test_heldout_set_is_the_ranking_benchmarks_test_half() -> None:
    """The model must not have seen the files the ranking benchmark reports on."""
    bench = _bench_ranking()
    stdlib = corpus.stdlib_root()
    test_half = {p.name for p in bench.choose_files(stdlib, 10**6, "test", 0)}
    tune_half = {p.name for p in bench.choose_files(stdlib, 10**6, "tune", 0)}
    assert test_half and tune_half and not test_half & tune_half
    docs = corpus.load(verify_hash=False)
    split = {d.path: d.split for d in docs if d.source == "cpython-stdlib" and "/" not in d.path}
    heldout = {path for path, s in split.items() if s == "heldout"}
    # Every test-half module in the corpus is held out, and nothing else is.
    assert heldout == test_half & split.keys()
    # The size filter drops none of them: the held-out set is the whole test half.
    assert heldout == test_half
    assert all(split.get(name, "train") == "train" for name in tune_half)


def test_training_script_refuses_an_unattributable_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``train.py`` stops with status 2 and the file's name before building anything."""
    import train

    rel = _owned_py("pathspec")
    bad = _manifest(tmp_path, ("pathspec", "1", "MPL-2.0", rel, "0" * 64, "train"))
    real_load = corpus.load
    monkeypatch.setattr(train.corpus, "load", lambda: real_load(bad))
    out = tmp_path / "build"
    rc = train.main(["--steps", "1", "--out", str(out), "--log", str(tmp_path / "log.jsonl")])
    assert rc == 2
    assert f"pathspec/{rel}" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "log.jsonl").exists()
