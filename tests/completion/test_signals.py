"""Per-request scans of the text around the cursor."""

from __future__ import annotations

import pytest
from cursor_ctx import make_ctx

from glm_lsp.completion.signals import (
    called_names,
    keyword_fit,
    line_words,
    local_counts,
    member_neighbours,
    nearest_occurrence,
    receiver_uses,
    word_parts,
)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("_actions", {"action"}),
        ("option_strings", {"option", "string"}),
        ("getHTTPValue", {"get", "http", "value"}),
        ("x", set()),
        ("is", set()),
    ],
)
def test_word_parts(name: str, parts: set[str]) -> None:
    assert word_parts(name) == parts


def test_receiver_uses_counts_calls_and_distance() -> None:
    ctx = make_ctx(
        "def f(self):\n    self.a()\n    self.a()\n    other.b\n    self.c = 1\n    self.|",
        receiver="self",
        function=True,
    )
    uses = receiver_uses(ctx)
    assert set(uses) == {"a", "c"}
    assert uses["a"][0] == 2 and uses["a"][2] == 2  # two uses in the function, both calls
    assert uses["c"][2] == 0
    assert uses["c"][1] < uses["a"][1]  # self.c is nearer to the cursor


def test_local_counts_are_whole_words() -> None:
    counts = local_counts(make_ctx("def f():\n    dd = d + dd\n    |", function=True))
    assert counts["dd"] == 2 and counts["d"] == 1


def test_line_words_skip_receiver_and_noise() -> None:
    words = line_words(make_ctx("for action in self.|:", receiver="self"))
    assert words == {"action"}


def test_nearest_occurrence_skips_partial_words() -> None:
    ctx = make_ctx("value_x = 1\nvalue = 2\nother = value_x\nv|")
    near = nearest_occurrence(ctx, "value")
    assert near == ctx.text.index("value = 2")


@pytest.mark.parametrize(
    ("marked", "word", "fit"),
    [
        ("def f():\n    re|", "return", 1.0),
        ("x = re|", "return", -1.0),
        ("x = i|", "in", -1.0),
        ("if x i|", "in", 0.5),
        ("return n|", "not", 0.0),
        ("return n|", "in", -1.0),
        ("x = foo N|", "None", -1.0),
        ("x = N|", "None", 0.0),
    ],
)
def test_keyword_fit(marked: str, word: str, fit: float) -> None:
    assert keyword_fit(word, make_ctx(marked)) == fit


def test_called_names_are_bare_calls_in_the_function() -> None:
    src = "def f(timer, obj):\n    get = timer\n    get()\n    obj.run()\n    x = g|(1)\n"
    called = called_names(make_ctx(src, function=True))
    assert "get" in called
    assert "run" not in called  # a member call, not a bare name
    assert "g" not in called  # the name being typed is no evidence for itself


def test_member_neighbours_learn_from_repeated_sequences() -> None:
    src = (
        "self.begin()\nself.write(a)\nself.end()\n"
        "self.begin()\nself.flush()\nself.end()\n"
        "self.begin()\nself.|\nself.end()\n"
    )
    follows, precedes = member_neighbours(make_ctx(src, receiver="self"))
    assert follows == {"write": 1, "flush": 1}  # what came after `begin` elsewhere
    assert precedes == {"write": 1, "flush": 1}  # what came before `end` elsewhere


def test_member_neighbours_without_uses_is_empty() -> None:
    assert member_neighbours(make_ctx("x = 1\nobj.|", receiver="obj")) == ({}, {})


def test_a_function_running_to_the_end_of_a_huge_text_is_scanned_near_the_cursor() -> None:
    """Without a tree a function's scope ends with the text: each request counted every word
    of a 5 MB document. The scan is cut to ``LOCAL_SPAN_CAP`` characters around the cursor."""
    from glm_lsp.completion.signals import LOCAL_SPAN_CAP, local_span

    far = "    far_away_name = 1\n" * 5_000
    ctx = make_ctx("def f():\n" + far + "    near = 2\n    ne|\n" + far, function=True)
    lo, hi = local_span(ctx)
    assert ctx.offset - lo <= LOCAL_SPAN_CAP and hi - ctx.offset <= LOCAL_SPAN_CAP
    counts = local_counts(ctx)
    assert counts["near"] == 1 and counts["far_away_name"] < 2_000
