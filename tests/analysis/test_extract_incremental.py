"""Region reuse must not change results: replayed typing sessions, reuse vs full extraction."""

from __future__ import annotations

import random
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from glm_lsp.analysis import collect, extract
from glm_lsp.analysis.regions import Region, regions_of
from glm_lsp.analysis.symbols import FileSymbols
from glm_lsp.syntax.languages import spec_for
from tests.analysis.test_queries import CPP, GO, JAVA, JS, RUST, TS, C

STDLIB = Path(sysconfig.get_paths()["stdlib"])
INSERTS = ["x", ".", "a.b", "(", ")", "\n", " ", "\n    self.q = 1\n", "é", "'", "/*", "{", "}"]


def _full(spec_name: str, text: str, path: str) -> FileSymbols:
    extract.REUSE_REGIONS = False
    try:
        return extract._extract(spec_for(spec_name), text, None, path)
    finally:
        extract.REUSE_REGIONS = True


def _view(fs: FileSymbols) -> tuple[object, ...]:
    return (fs.symbols, fs.identifier_counts, fs.member_counts, fs.imports)


def _session(text: str, seed: int, steps: int) -> Iterator[str]:
    """Random inserts and deletions, each applied to the previous text (like typing)."""
    rng = random.Random(seed)
    for _ in range(steps):
        pos = rng.randrange(len(text) + 1)
        if rng.random() < 0.65:
            text = text[:pos] + rng.choice(INSERTS) + text[pos:]
        else:
            text = text[:pos] + text[pos + rng.randint(1, 25) :]
        yield text


def _python_samples() -> list[tuple[str, str]]:
    out = []
    for name in ("json/decoder.py", "shlex.py", "colorsys.py"):
        path = STDLIB / name
        out.append((str(path), path.read_text(encoding="utf-8")))
    return out


CASES = [
    *(("python", path, text) for path, text in _python_samples()),
    ("javascript", "/w/a.js", JS * 3),
    ("typescript", "/w/a.ts", TS * 3),
    ("go", "/w/a.go", GO * 3),
    ("rust", "/w/a.rs", RUST * 3),
    ("java", "/w/A.java", JAVA * 3),
    ("c", "/w/a.c", C * 3),
    ("cpp", "/w/a.cpp", CPP * 3),
]


@pytest.mark.parametrize(("language", "path", "text"), CASES, ids=[c[1] for c in CASES])
def test_typing_session_matches_full_extraction(language: str, path: str, text: str) -> None:
    spec = spec_for(language)
    assert spec is not None
    extract._extract(spec, text, spec.parser().parse(text.encode()), path)
    for step, edited in enumerate(_session(text, seed=len(text), steps=25)):
        tree = spec.parser().parse(edited.encode("utf-8", "surrogatepass"))
        incremental = extract._extract(spec, edited, tree, path)
        assert _view(incremental) == _view(_full(language, edited, path)), f"step {step}"


def test_unchanged_regions_are_not_collected_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the reuse itself: otherwise the session test compares two full extractions."""
    spec = spec_for("python")
    assert spec is not None
    text = (STDLIB / "json/decoder.py").read_text(encoding="utf-8")
    calls: list[int] = []
    original = collect.Collector.collect

    def counting(self: collect.Collector, *args: object, **kwargs: object) -> Region:
        if not kwargs.get("shallow"):  # class headers are collected every time, by design
            calls.append(1)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(collect.Collector, "collect", counting)
    extract._extract(spec, text, spec.parser().parse(text.encode()), "/w/decoder.py")
    total = len(calls)
    calls.clear()
    pos = text.index("def py_scanstring")
    edited = text[:pos] + "\n" + text[pos:]
    extract._extract(spec, edited, spec.parser().parse(edited.encode()), "/w/decoder.py")
    assert total > 10
    assert len(calls) == 1
    other = "import os\n\ndef other():\n    return os.sep\n"
    extract._extract(spec, other, None, "/w/decoder.py")  # no tree: the disk's text
    calls.clear()
    extract._extract(spec, edited, spec.parser().parse(edited.encode()), "/w/decoder.py")
    assert calls == []  # the editor's regions survived the disk read


def test_regions_partition_the_file() -> None:
    spec = spec_for("python")
    assert spec is not None
    text = "# lead\nimport os\n\n# doc\ndef f():\n    pass\n\nx = 1  # tail\n# end\n"
    data = text.encode()
    tree = spec.parser().parse(data)
    regions = regions_of(tree.root_node, data, spec.comment_types)
    assert [data[s:e].decode() for s, e, _ in regions] == [
        "# lead\nimport os",
        "\n\n# doc\ndef f():\n    pass",
        "\n\nx = 1",
        "  # tail\n# end\n",
    ]


def test_regions_with_syntax_errors_are_collected_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Error recovery depends on the surrounding text: the same bytes can parse differently."""
    spec = spec_for("python")
    assert spec is not None
    broken = "def f(self):\n    self.register('action'a.b, 'count')\n"
    text = f"x = 1\n\n{broken}\n\ny = 2\n"
    collected: list[bytes] = []
    original = collect.Collector.collect

    def recording(self: collect.Collector, *args: object, **kwargs: object) -> Region:
        data, start, end = args[2], args[3], args[4]
        assert isinstance(data, bytes) and isinstance(start, int) and isinstance(end, int)
        collected.append(data[start:end])
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(collect.Collector, "collect", recording)
    extract._extract(spec, text, spec.parser().parse(text.encode()), "/w/e.py")
    collected.clear()
    edited = text.replace("y = 2", "y = 3")
    extract._extract(spec, edited, spec.parser().parse(edited.encode()), "/w/e.py")
    assert any(b"register" in chunk for chunk in collected)
    assert not any(chunk.strip() == b"x = 1" for chunk in collected)
