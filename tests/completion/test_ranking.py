"""Orderings the ranking must defend, each isolating one feature."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest
from cursor_ctx import make_ctx

from glm_lsp.analysis.symbols import Symbol
from glm_lsp.completion.candidates import Candidate
from glm_lsp.completion.ranking import WEIGHTS, RankingInputs, features, rank
from glm_lsp.syntax.context import CursorContext, Scope


def order(cands: list[Candidate], ctx: CursorContext, **inputs: Mapping[str, object]) -> list[str]:
    return [item.candidate.name for item in rank(cands, ctx, RankingInputs(**inputs))]  # type: ignore[arg-type]


def cand(name: str, source: str = "local", kind: str = "variable", **kw: object) -> Candidate:
    return Candidate(name, kind, source, **kw)  # type: ignore[arg-type]


CASES: list[tuple[str, list[Candidate], CursorContext, dict[str, object], list[str]]] = [
    (
        "expected int puts int-typed names first",
        [cand("name", type="str"), cand("nbytes", type="int")],
        make_ctx("x: int = n|", expected="int"),
        {"file_counts": {"name": 9, "nbytes": 2}},
        ["nbytes", "name"],
    ),
    (
        "more frequent in the file wins when all else is equal",
        [cand("total"), cand("table")],
        make_ctx("t|"),
        {"file_counts": {"total": 1, "table": 12}},
        ["table", "total"],
    ),
    (
        "exact ties break by shorter name, then alphabetically",
        [cand("beta"), cand("alpha"), cand("al")],
        make_ctx("|"),
        {},
        ["al", "beta", "alpha"],
    ),
    (
        "private and dunder names last unless _ is typed",
        [cand("__init__"), cand("_cache"), cand("cache_size")],
        make_ctx("|"),
        {},
        ["cache_size", "_cache", "__init__"],
    ),
    (
        "with _ typed, private names are not pushed down",
        [cand("_cache"), cand("__dict__")],
        make_ctx("_|"),
        {"file_counts": {"__dict__": 0, "_cache": 3}},
        ["_cache", "__dict__"],
    ),
    (
        "exact-case prefix > any-case prefix > hump > subsequence",
        [cand("rules"), cand("Result"), cand("resultFrame"), cand("raise_error_safely")],
        make_ctx("res|"),
        {},
        ["resultFrame", "Result", "raise_error_safely", "rules"],
    ),
    (
        "local beats builtin beats word",
        [cand("len", "word"), cand("lenient", "builtin"), cand("length", "local")],
        make_ctx("l|"),
        {},
        ["length", "lenient", "len"],
    ),
    (
        "after a receiver, members used on it most come first",
        [cand("append", "member"), cand("extend", "member"), cand("count", "member")],
        make_ctx("xs.|", receiver="xs"),
        {"member_counts": {"extend": 7, "append": 2}},
        ["extend", "append", "count"],
    ),
    (
        "accept history lifts a name",
        [cand("alpha"), cand("apple")],
        make_ctx("a|"),
        {"history": {"apple": 1.0}},
        ["apple", "alpha"],
    ),
    (
        "statement keyword at a statement start beats a builtin",
        [cand("repr", "builtin", "function"), cand("return", "keyword", "keyword")],
        make_ctx("def f():\n    re|"),
        {},
        ["return", "repr"],
    ),
    (
        "statement keyword inside an expression sinks",
        [cand("repr", "builtin", "function"), cand("return", "keyword", "keyword")],
        make_ctx("x = re|"),
        {},
        ["repr", "return"],
    ),
    (
        "before `(` a function beats a variable",
        [cand("total"), cand("tally", kind="function")],
        make_ctx("x = t|(1)"),
        {"file_counts": {"total": 5}},
        ["tally", "total"],
    ),
    (
        "before `.` a name used as a receiver wins",
        [cand("spec"), cand("sys", "import", "module")],
        make_ctx("s|.path"),
        {"file_counts": {"spec": 6, "sys": 2}, "receiver_counts": {"sys": 2}},
        ["sys", "spec"],
    ),
    (
        "a member used after this receiver nearby wins",
        [cand("alpha", "member", "field"), cand("beta", "member", "field")],
        make_ctx("def f(self):\n    self.beta += 1\n    self.|", receiver="self"),
        {},
        ["beta", "alpha"],
    ),
    (
        "a member sharing a word with the line wins",
        [cand("_items", "member", "field"), cand("_actions", "member", "field")],
        make_ctx("for action in self.|:", receiver="self"),
        {},
        ["_actions", "_items"],
    ),
    (
        "an operand keyword cannot start an expression",
        [cand("in", "keyword", "keyword"), cand("index", "builtin", "function")],
        make_ctx("x = i|"),
        {},
        ["index", "in"],
    ),
    (
        "after a value, an operator keyword beats a name",
        [cand("in", "keyword", "keyword"), cand("index", "builtin", "function")],
        make_ctx("if x i|"),
        {},
        ["in", "index"],
    ),
    (
        "the nearer occurrence wins",
        [cand("far_name"), cand("near_name")],
        make_ctx("far_name = 1\n" + "pass\n" * 300 + "near_name = 2\n" + "n|"),
        {},
        ["near_name", "far_name"],
    ),
]


@pytest.mark.parametrize(
    ("why", "cands", "ctx", "inputs", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_ordering(
    why: str,
    cands: list[Candidate],
    ctx: CursorContext,
    inputs: dict[str, object],
    expected: list[str],
) -> None:
    assert order(cands, ctx, **inputs) == expected, why  # type: ignore[arg-type]


def test_non_matches_are_dropped() -> None:
    assert order([cand("alpha"), cand("zeta")], make_ctx("al|")) == ["alpha"]


def test_sort_text_is_zero_padded_rank() -> None:
    items = rank([cand(f"name{i}") for i in range(12)], make_ctx("|"))
    texts = [item.sort_text for item in items]
    assert texts == sorted(texts)
    assert len(set(map(len, texts))) == 1
    assert texts[0] == "0000"


def test_score_is_weighted_sum_of_features() -> None:
    item = rank([cand("value", type="int")], make_ctx("v|", expected="int"))[0]
    total = sum(WEIGHTS[name] * value for name, value in item.features.items())
    assert item.score == pytest.approx(total, abs=1e-3)
    assert item.features["type_fit"] == 1.0
    assert item.features["match"] == 1.0


def test_model_score_is_a_feature() -> None:
    ctx = make_ctx("v|")
    with_model = features(cand("value", model_score=0.9), ctx, RankingInputs())
    without = features(cand("value"), ctx, RankingInputs())
    assert with_model is not None and without is not None
    assert with_model["model"] == 0.9
    assert "model" not in without


def test_frequency_is_log_scaled() -> None:
    ctx = make_ctx("v|")
    f = [features(cand("value"), ctx, RankingInputs(file_counts={"value": n})) for n in (2, 4, 200)]
    gains = [x["freq_file"] for x in f if x is not None]
    assert gains[0] < gains[1] < gains[2]
    assert gains[2] - gains[1] < 10 * (gains[1] - gains[0])  # 50x the count is not 50x the gain


def test_a_local_defined_below_the_cursor_sinks() -> None:
    ctx = make_ctx("def f():\n    evening = 1\n    e|\n    eve = 2\n")
    ctx = replace(ctx, scopes=(Scope("function", "f", 0, len(ctx.text)),))
    below = Symbol("eve", "variable", start=ctx.text.index("eve ="), local=True)
    above = Symbol("evening", "variable", start=ctx.text.index("evening"), local=True)
    cands = [cand("eve", symbol=below), cand("evening", symbol=above)]
    assert order(cands, ctx) == ["evening", "eve"]
    # The feature decides it: without its weight the shorter, nearer name would win.
    plain = rank(cands, ctx, RankingInputs(), weights={**WEIGHTS, "later": 0.0})
    assert [item.candidate.name for item in plain] == ["eve", "evening"]


def test_local_frequency_counts_whole_words_only() -> None:
    ctx = make_ctx("def f():\n    dd = 1\n    dd += 2\n    d|")
    f = features(cand("d"), ctx, RankingInputs())
    assert f is not None and "freq_local" not in f  # the d of "dd" is not an occurrence of d


def test_the_name_being_typed_does_not_count_itself() -> None:
    ctx = make_ctx("val|")
    f = features(cand("val"), ctx, RankingInputs(file_counts={"val": 1}))
    assert f is not None and "freq_file" not in f


@pytest.mark.parametrize(
    ("marked", "name", "has_affinity"),
    [
        ("total = self.| + self.count", "count", False),  # only the name itself is on the line
        ("total = self.| + self.count", "total_count", True),  # shares `total` with a neighbour
        ("for action in self.|:", "_actions", True),
    ],
)
def test_line_affinity_needs_another_identifier(marked: str, name: str, has_affinity: bool) -> None:
    items = rank([cand(name, "member", "field")], make_ctx(marked, receiver="self"))
    assert ("line_affinity" in items[0].features) == has_affinity


@pytest.mark.parametrize(
    ("marked", "name", "after"),
    [
        ("return (self.|, self.den)", "den", True),
        ("return (self.num, self.|)", "num", False),  # before the cursor: `x = self.x + 1` is fine
        ("return (self.|, self.den)", "num", False),
    ],
)
def test_line_after_marks_names_written_further_on(marked: str, name: str, after: bool) -> None:
    ctx = make_ctx(marked, receiver="self")
    items = rank([cand(name, "member", "field")], ctx)
    assert ("line_after" in items[0].features) == after


def test_guessed_member_never_gains_from_call_fit() -> None:
    ctx = make_ctx("text.|()", receiver="text")
    guess = cand("strip", "member", "method", guessed=True)
    known = cand("strip", "member", "method")
    guessed_feats = features(guess, ctx, RankingInputs())
    known_feats = features(known, ctx, RankingInputs())
    assert guessed_feats is not None and known_feats is not None
    assert guessed_feats["guessed"] == 1.0 and "call_fit" not in guessed_feats
    assert known_feats["call_fit"] == 1.0


def test_member_seen_used_but_undeclared_is_not_called_a_value() -> None:
    ctx = make_ctx("obj.|()", receiver="obj")
    seen = features(cand("run", "member", "field"), ctx, RankingInputs())
    declared = features(
        cand("run", "member", "field", symbol=Symbol(name="run", kind="field")),
        ctx,
        RankingInputs(),
    )
    assert seen is not None and declared is not None
    assert "call_fit" not in seen and declared["call_fit"] == -1.0


@pytest.mark.parametrize(
    ("receiver", "name", "penalty"),
    [
        ("super()", "__init__", 0.5),
        ("cls", "__name__", 0.5),
        ("obj", "__eq__", 1.5),
        (None, "__name__", 1.5),
        ("obj", "_cache", 1.0),
        ("self", "_cache", 0.25),
    ],
)
def test_private_penalty(receiver: str | None, name: str, penalty: float) -> None:
    marked = f"{receiver}.|" if receiver else "|"
    feats = features(cand(name, "member"), make_ctx(marked, receiver=receiver), RankingInputs())
    assert feats is not None and feats["private"] == penalty


def test_private_member_already_used_on_this_receiver_is_less_private() -> None:
    ctx = make_ctx("other.|", receiver="other")
    unused = features(cand("_value", "member"), ctx, RankingInputs())
    used = features(cand("_value", "member"), ctx, RankingInputs(member_counts={"_value": 3}))
    assert unused is not None and used is not None
    assert used["private"] < unused["private"]


def test_a_variable_called_nearby_fits_before_a_paren() -> None:
    ctx = make_ctx("def f(clock):\n    get_time = clock\n    get_time()\n    x = get_t|()")
    called = features(cand("get_time"), ctx, RankingInputs(called=frozenset({"get_time"})))
    plain = features(cand("get_time"), ctx, RankingInputs(called=frozenset()))
    assert called is not None and plain is not None
    assert called["call_fit"] == 1.0 and plain["call_fit"] == -1.0


def test_the_usual_successor_of_the_previous_member_ranks_first() -> None:
    text = "self.open()\nself.read()\n" * 2 + "self.size\n" * 3 + "self.open()\nself.|"
    got = order(
        [cand("size", "member", "field"), cand("read", "member", "method")],
        make_ctx(text, receiver="self"),
    )
    assert got == ["read", "size"]  # `size` is used more and nearer; `read` follows `open`
