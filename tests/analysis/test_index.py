"""WorkspaceIndex: what gets indexed, incremental counts, persistence, members, modules."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from glm_lsp.analysis.index import IndexOptions, WorkspaceIndex
from glm_lsp.cache import Stores

MODELS = """\
class Base:
    def save(self) -> None: ...

class Model(Base):
    label: str = ""

    def __init__(self) -> None:
        self.items = []

    def add(self, x: int) -> "Model":
        self.items.append(x)
        return self

class Table(dict):
    pass
"""


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root, ".gitignore", "build/\n*.gen.py\n")
    write(root, "pkg/__init__.py", "from .models import Model\n")
    write(root, "pkg/models.py", MODELS)
    write(root, "pkg/use.py", "from .models import Model\nm = Model()\nm.add(1)\nm.add(2)\n")
    write(root, "build/out.py", "built = 1\n")
    write(root, "gen.gen.py", "generated = 1\n")
    write(root, "sub/.gitignore", "local_only.py\n")
    write(root, "sub/local_only.py", "hidden = 1\n")
    write(root, "sub/kept.py", "kept_name = 1\n")
    write(root, "node_modules/dep/index.js", "function fromDep() {}\n")
    write(root, ".venv/lib/site.py", "venv_name = 1\n")
    write(root, "blob.py", b"abc\x00def = 1\n")
    write(root, "latin.py", b"caf\xe9 = 1\nlatin_name = 2\n")
    write(root, "big.py", "big_name = 1\n" + "#" * 5000 + "\n")
    write(root, "skipme/x.py", "excluded_name = 1\n")
    write(root, "web/app.js", "class Widget { render() {} }\nconst w = new Widget();\n")
    return root


def build(root: Path, stores: Stores | None = None) -> WorkspaceIndex:
    index = WorkspaceIndex(stores, IndexOptions(exclude=["skipme/"], max_file_size=4000))
    index.build(root)
    return index


def names(index: WorkspaceIndex) -> set[str]:
    return {
        n
        for n in (
            "built",
            "generated",
            "hidden",
            "kept_name",
            "fromDep",
            "venv_name",
            "def",
            "latin_name",
            "big_name",
            "excluded_name",
            "Widget",
            "Model",
        )
        if index.lookup(n)
    }


def test_build_honours_ignores_sizes_and_binaries(workspace: Path) -> None:
    index = build(workspace)
    assert names(index) == {"kept_name", "latin_name", "Widget", "Model"}
    assert index.stats()["files"] == 6


def test_progress_reaches_total_and_cancel_stops(workspace: Path) -> None:
    seen: list[tuple[int, int]] = []
    WorkspaceIndex().build(workspace, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == list(range(1, len(seen) + 1))
    cancel = threading.Event()
    cancel.set()
    index = WorkspaceIndex()
    index.build(workspace, cancel=cancel)
    assert index.stats()["files"] == 0


def test_restart_is_warm(workspace: Path, tmp_path: Path) -> None:
    first = build(workspace, Stores(tmp_path / "cache"))
    assert first.parsed == first.stats()["files"] > 0
    second = build(workspace, Stores(tmp_path / "cache"))
    assert second.parsed == 0
    assert second.stats() | {"parsed": 0} == first.stats() | {"parsed": 0}
    assert second.identifier_count("Model") == first.identifier_count("Model") > 0


def test_update_file_keeps_counts_incremental(workspace: Path) -> None:
    index = build(workspace)
    path = str(workspace / "pkg" / "use.py")
    before = index.identifier_count("Model")
    assert index.member_counts("type:Model") == {"add": 2, "items": 2}
    index.update_file(path, "from .models import Model\nm = Model()\nm.add(1)\nm.save()\n")
    assert index.member_counts("type:Model") == {"add": 1, "items": 2, "save": 1}
    assert index.identifier_count("Model") == before
    index.update_file(path, "zz_unique = 1\n")
    assert index.identifier_count("Model") == before - 2
    assert index.member_counts("name:m") == {}
    assert index.identifier_count("zz_unique") == 1
    index.remove_file(path)
    assert index.get(path) is None
    assert index.identifier_count("zz_unique") == 0


def test_build_keeps_editor_text_over_disk(workspace: Path) -> None:
    index = WorkspaceIndex()
    path = str(workspace / "sub" / "kept.py")
    index.update_file(path, "typed_in_editor = 1\n")
    index.build(workspace)
    assert index.lookup("typed_in_editor") and not index.lookup("kept_name")
    index.remove_file(path)
    index.build(workspace)
    assert index.lookup("kept_name") and not index.lookup("typed_in_editor")


def test_update_file_of_unchanged_text_reuses_result(workspace: Path) -> None:
    index = build(workspace)
    path = str(workspace / "pkg" / "models.py")
    parsed = index.parsed
    assert index.update_file(path, MODELS) is index.get(path)
    assert index.parsed == parsed


def test_members_follow_workspace_inheritance_then_builtins(workspace: Path) -> None:
    index = build(workspace)
    members = {(s.name, s.container) for s in index.members_of("Model", "python")}
    assert {("label", "Model"), ("items", "Model"), ("add", "Model"), ("save", "Base")} <= members
    table = {s.name for s in index.members_of("Table", "python")}
    assert {"keys", "items", "setdefault"} <= table  # from the running interpreter's dict
    assert {s.name for s in index.members_of("list[int]", "python")} >= {"append", "extend"}
    assert index.members_of("Model", "javascript") == []
    assert {s.name for s in index.members_of("Widget", "javascript")} == {"render"}
    assert index.is_subclass("Model", "Base") and not index.is_subclass("Base", "Model")


def test_lookup_filters_by_language(workspace: Path) -> None:
    index = build(workspace)
    assert [s.kind for s in index.lookup("Model", "python")] == ["class"]
    assert index.lookup("Model", "go") == []


def test_module_symbols_resolve_without_importing(workspace: Path, tmp_path: Path) -> None:
    marker = tmp_path / "imported.txt"
    write(workspace, "trap.py", f"open({str(marker)!r}, 'w').write('x')\ndef trapped(): ...\n")
    index = build(workspace)
    use = str(workspace / "pkg" / "use.py")
    relative = index.module_symbols(".models", "python", use)
    assert relative is not None and relative.path.endswith("models.py")
    absolute = index.module_symbols("pkg.models", "python", use)
    assert absolute is relative
    trap = index.module_symbols("trap", "python", use)
    assert trap is not None and any(s.name == "trapped" for s in trap.symbols)
    assert not marker.exists()
    stdlib = index.module_symbols("json", "python")
    assert stdlib is not None and any(s.name == "dumps" for s in stdlib.symbols)
    assert index.lookup("dumps") == []  # lazily parsed modules stay out of the workspace tables
    ospath = index.module_symbols("os.path", "python")
    assert ospath is not None and any(s.name == "join" for s in ospath.symbols)
    assert index.module_symbols("no_such_module_xyz", "python") is None
    compiled = index.module_symbols("sys", "python")  # no source file: part of the interpreter
    assert compiled is not None and {"path", "getfilesystemencodeerrors"} <= {
        s.name for s in compiled.symbols
    }


def test_configured_interpreter_sys_path(workspace: Path) -> None:
    index = WorkspaceIndex(options=IndexOptions(python=sys.executable))
    found = index.module_symbols("json.decoder", "python")
    assert found is not None and found.path.endswith("decoder.py")
    broken = WorkspaceIndex(options=IndexOptions(python="/no/such/python"))
    assert broken.module_symbols("json", "python") is not None  # falls back to our sys.path


def test_js_relative_module(workspace: Path) -> None:
    write(workspace, "web/util.ts", "export function helper(): number { return 1 }\n")
    index = build(workspace)
    found = index.module_symbols("./util", "typescript", str(workspace / "web" / "app.js"))
    assert found is not None and any(s.name == "helper" for s in found.symbols)


def test_reads_while_building(workspace: Path) -> None:
    for i in range(40):
        write(workspace, f"many/m{i}.py", f"def f{i}(x: int) -> int:\n    return x.bit_length()\n")
    index = WorkspaceIndex()
    thread = threading.Thread(target=index.build, args=(workspace,))
    thread.start()
    while thread.is_alive():
        index.lookup("f1")
        index.members_of("Model", "python")
        index.stats()
    thread.join()
    assert len(index.lookup("f39")) == 1


def test_edit_differences_leave_the_same_tables_as_a_fresh_index() -> None:
    """Counts are applied as differences per edit: after a typing session they must equal the
    tables of an index that only ever saw the final texts."""
    texts = [
        "import os\nx = os.path\nx.join('a')\n",
        "import os\nx = os.path\nx.join('a')\nx.join('b')\nvalue = [1]\nvalue.append(2)\n",
        "import sys\ny = sys.argv\n",
        "",
        "def f(d: dict):\n    d.get('k')\n    return d.keys()\n",
    ]
    edited = WorkspaceIndex()
    for text in texts:
        edited.update_file("/w/a.py", text)
        edited.update_file("/w/b.py", text[::-1] if "sys" in text else text)
    fresh = WorkspaceIndex()
    fresh.update_file("/w/a.py", texts[-1])
    fresh.update_file("/w/b.py", texts[-1])
    assert edited._idents == fresh._idents
    assert edited._member_counts == fresh._member_counts
    assert edited.identifier_count("os") == 0
    assert edited.member_counts("type:dict") == {"get": 2, "keys": 2}


def test_a_removed_file_leaves_nothing_to_persist() -> None:
    """A closed document from outside the workspace is removed; its symbols waited for the next
    flush all the same (and were then written to the store)."""
    index = WorkspaceIndex()
    index.update_file("/elsewhere/notes.py", "value = 1\n", "python")
    index.remove_file("/elsewhere/notes.py")
    assert index._pending == {}
