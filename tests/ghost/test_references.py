"""Reference snippets: imported definitions from the index, recently edited files."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from glm_lsp.analysis.symbols import FileSymbols, Symbol
from glm_lsp.config import parse_settings
from glm_lsp.ghost.references import References, cross_file_context
from glm_lsp.model.backend import ModelBackend


class FakeIndex:
    """The two WorkspaceIndex methods References uses."""

    def __init__(self, files: dict[str, FileSymbols], modules: dict[str, FileSymbols]) -> None:
        self.files = files
        self.modules = modules

    def get(self, path: str) -> FileSymbols | None:
        return self.files.get(path)

    def module_symbols(
        self, dotted: str, language: str, from_path: str | None = None
    ) -> FileSymbols | None:
        return self.modules.get(dotted)


def _setup(tmp_path: Path) -> tuple[References, str, Path]:
    util = tmp_path / "util.py"
    source = "import os\n\n\ndef helper(a, b):\n    return a + b\n\n\nclass Box:\n    size = 1\n"
    util.write_text(source)
    start = source.index("def helper")
    end = source.index("\n\n\nclass")
    box = source.index("class Box")
    mod = FileSymbols(
        str(util),
        "python",
        symbols=[
            Symbol("helper", "function", start=start, end=end),
            Symbol("Box", "class", start=box, end=len(source)),
            Symbol("size", "field", container="Box", start=box + 15, end=len(source)),
        ],
    )
    main = str(tmp_path / "main.py")
    current = FileSymbols(
        main,
        "python",
        imports={"helper": "util.helper", "Box": "util.Box", "os": "os", "gone": "util.gone"},
    )
    index = FakeIndex({main: current}, {"util": mod})
    return References(index), main, util  # type: ignore[arg-type]


def test_imported_definitions(tmp_path: Path) -> None:
    refs, main, util = _setup(tmp_path)
    out = refs.imported(main, "python")
    assert [(r.path, r.code) for r in out] == [
        (str(util), "class Box:\n    size = 1\n"),
        (str(util), "def helper(a, b):\n    return a + b\n"),
    ]
    assert refs.imported("/elsewhere.py", "python") == []
    assert References(None).imported(main, "python") == []


def test_imported_definition_follows_file_changes(tmp_path: Path) -> None:
    refs, main, util = _setup(tmp_path)
    refs.imported(main, "python")
    util.write_text(util.read_text().replace("a + b", "a - b"))
    import os

    st = util.stat()
    os.utime(util, (st.st_atime, st.st_mtime + 5))
    codes = [r.code for r in refs.imported(main, "python")]
    assert "def helper(a, b):\n    return a - b\n" in codes


def test_recent_files_exclude_current_and_keep_newest(tmp_path: Path) -> None:
    refs = References(None, recent_files=2)
    text = "\n".join(f"line {i}" for i in range(100))
    refs.note_edit("a.py", text, text.index("line 50"))
    refs.note_edit("b.py", "x = 1\n", 0)
    refs.note_edit("c.py", "y = 2\n", 0)
    assert [r.path for r in refs.recent("c.py")] == ["b.py"]
    snippet = refs.recent("z.py")[0].code
    assert snippet == "x = 1\n"
    refs.note_edit("a.py", text, text.index("line 50"))
    a = next(r for r in refs.recent("z.py") if r.path == "a.py").code
    assert "line 50" in a and "line 38" in a and "line 37" not in a and "line 62" not in a
    assert len(a.split("\n")) <= 24
    refs.note_edit("", text, 0)
    assert {r.path for r in refs.collect("q.py", "python")} == {"c.py", "a.py"}


@pytest.mark.parametrize("name", [".env", ".env.local", "server.pem", "id_rsa", "credentials.json"])
def test_secret_files_are_never_recent_references(tmp_path: Path, name: str) -> None:
    refs = References(None)
    refs.note_edit(str(tmp_path / name), "OPENAI_API_KEY=sk-live-value\n", 0)
    refs.note_edit(str(tmp_path / "app.py"), "x = 1\n", 0)
    assert [Path(r.path).name for r in refs.collect("other.py", "python")] == ["app.py"]


def test_definitions_from_secret_files_are_never_references(tmp_path: Path) -> None:
    secret = tmp_path / "secrets.py"  # `from secrets import API_KEY`
    source = 'API_KEY = "k3J9xQ2mLp8ZrT4vW7yB1nC6hF0dG5sA9eU2iO3q"\n'
    secret.write_text(source)
    mod = FileSymbols(
        str(secret), "python", symbols=[Symbol("API_KEY", "variable", start=0, end=len(source))]
    )
    main = str(tmp_path / "main.py")
    current = FileSymbols(main, "python", imports={"API_KEY": "secrets.API_KEY"})
    refs = References(FakeIndex({main: current}, {"secrets": mod}))  # type: ignore[arg-type]
    assert refs.imported(main, "python") == []


class _Backend:
    def __init__(self, name: str) -> None:
        self.name = name


@pytest.mark.parametrize(
    ("options", "backend", "expected"),
    [
        ({}, None, True),  # the local default: nothing leaves the machine
        ({"model": {"backend": "llama"}}, "llama", True),
        ({"model": {"backend": "remote"}}, None, False),  # remote: the current file only
        ({"model": {"backend": "remote"}}, "remote", False),
        ({"model": {"backend": "remote", "remoteContext": "full"}}, "remote", True),
        ({"model": {"backend": "llama", "remoteContext": "file"}}, "llama", True),
    ],
)
def test_cross_file_context_for_remote_backends(
    options: dict[str, object], backend: str | None, expected: bool
) -> None:
    settings, errors = parse_settings(options)
    assert errors == []
    model = cast(ModelBackend, _Backend(backend)) if backend is not None else None
    assert cross_file_context(settings, model) is expected


def test_remote_context_setting_is_checked() -> None:
    settings, errors = parse_settings({"model": {"remoteContext": "everything"}})
    assert settings.model.remote_context == "file"
    assert errors and "model.remoteContext" in errors[0]
