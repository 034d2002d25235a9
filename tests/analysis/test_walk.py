"""File discovery (nested .gitignore, excludes, always-skipped directories) and reading."""

from __future__ import annotations

from pathlib import Path

from glm_lsp.analysis.walk import indexable, is_binary, read_source, workspace_files


def make(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def listed(root: Path, exclude: list[str] | None = None, max_size: int = 10_000) -> set[str]:
    return {p.relative_to(root).as_posix() for p in workspace_files(root, exclude or [], max_size)}


def test_nested_gitignore_and_negation(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            ".gitignore": "*.log.py\nout/\n",
            "a.py": "",
            "x.log.py": "",
            "out/b.py": "",
            "lib/.gitignore": "!keep.log.py\nprivate.py\n",
            "lib/keep.log.py": "",
            "lib/private.py": "",
            "lib/public.py": "",
            "other/private.py": "",
            "notes.txt": "",
            "script.rb": "",
        },
    )
    assert listed(tmp_path) == {
        "a.py",
        "lib/keep.log.py",
        "lib/public.py",
        "other/private.py",
        "script.rb",
    }


def test_excludes_sizes_and_skipped_dirs(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "src/a.ts": "",
            "src/gen/b.ts": "",
            "node_modules/x/index.js": "",
            ".git/hooks/h.py": "",
            "__pycache__/c.py": "",
            "big.py": "x" * 200,
        },
    )
    assert listed(tmp_path, ["src/gen/"], max_size=100) == {"src/a.ts"}


def test_indexable_and_binary() -> None:
    assert indexable("a.py") and indexable("b.tsx") and indexable("c.rb")
    assert not indexable("d.png") and not indexable("README")
    assert is_binary(b"abc\0def") and not is_binary("héllo".encode())


def test_read_source_tolerates_whatever_is_on_disk(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text("naïve = 1\n", encoding="utf-8")
    assert read_source(good, 100) == "naïve = 1\n"
    broken = tmp_path / "latin1.py"
    broken.write_bytes(b"x = '\xe9'\n")  # invalid UTF-8: decoded with a replacement
    assert read_source(broken, 100) == "x = '\ufffd'\n"
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"abc\0def")
    assert read_source(binary, 100) is None
    assert read_source(good, 5) is None  # over the size limit
    assert read_source(tmp_path / "missing.py", 100) is None
    assert read_source(tmp_path, 100) is None  # a directory: unreadable
