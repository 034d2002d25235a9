"""Templates against reference prompts written by hand from each family's published format."""

from __future__ import annotations

import pytest

from glm_lsp.model.templates import (
    CODEGEEX4,
    TEMPLATES,
    FimRequest,
    Reference,
    get_template,
    select_template,
)

REQ = FimRequest(
    prefix="def add(a, b):\n    ",
    suffix="\n\nprint(add(1, 2))\n",
    path="src/calc.py",
    language="Python",
    mode="LINE",
)
REQ_REFS = FimRequest(
    prefix="x = helper(",
    suffix=")\n",
    path="main.py",
    language="Python",
    mode="BLOCK",
    references=(Reference("util.py", "def helper(n):\n    return n\n"), Reference("b.py", "B = 2")),
    repo="demo",
)

CASES = [
    (
        "codegeex4",
        REQ,
        "[gMASK]<sop><|user|>\n###PATH:src/calc.py\n###LANGUAGE:Python\n###MODE:LINE\n"
        "<|code_suffix|>\n\nprint(add(1, 2))\n<|code_prefix|>def add(a, b):\n    "
        "<|code_middle|><|assistant|>\n",
    ),
    (
        "codegeex4",
        REQ_REFS,
        "[gMASK]<sop><|user|>\n###REFERENCE:\n###PATH:util.py\ndef helper(n):\n    return n\n"
        "###REFERENCE:\n###PATH:b.py\nB = 2\n"
        "###PATH:main.py\n###LANGUAGE:Python\n###MODE:BLOCK\n"
        "<|code_suffix|>)\n<|code_prefix|>x = helper(<|code_middle|><|assistant|>\n",
    ),
    (
        "qwen2.5-coder",
        REQ,
        "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>",
    ),
    (
        "qwen2.5-coder",
        REQ_REFS,
        "<|repo_name|>demo\n<|file_sep|>util.py\ndef helper(n):\n    return n\n"
        "<|file_sep|>b.py\nB = 2\n<|file_sep|>main.py\n"
        "<|fim_prefix|>x = helper(<|fim_suffix|>)\n<|fim_middle|>",
    ),
    (
        "starcoder2",
        REQ,
        "<fim_prefix>def add(a, b):\n    <fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>",
    ),
    (
        "deepseek-coder",
        REQ,
        "<\uff5cbegin\u2581of\u2581sentence\uff5c><\uff5cfim\u2581begin\uff5c>def add(a, b):\n    "
        "<\uff5cfim\u2581hole\uff5c>\n\nprint(add(1, 2))\n<\uff5cfim\u2581end\uff5c>",
    ),
    (
        "codellama",
        REQ,
        "<s><PRE> def add(a, b):\n     <SUF>\n\nprint(add(1, 2))\n <MID>",
    ),
    (
        "glm4-chat",
        REQ,
        "[gMASK]<sop><|user|>\nContinue this Python file (src/calc.py) from where it stops. "
        "Reply with code only.<|assistant|>\ndef add(a, b):\n    ",
    ),
    (
        "glm-edge-chat",
        REQ,
        "<|user|>\nContinue this Python file (src/calc.py) from where it stops. "
        "Reply with code only.<|assistant|>\ndef add(a, b):\n    ",
    ),
]


@pytest.mark.parametrize(("name", "req", "expected"), CASES)
def test_render_matches_reference(name: str, req: FimRequest, expected: str) -> None:
    assert get_template(name).render(req) == expected


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_segments_keep_user_text_plain(name: str) -> None:
    tricky = FimRequest(prefix="s = '<|user|>'\n", suffix="<fim_prefix>", path="p.py")
    segments = get_template(name).segments(tricky)
    plain = "".join(text for text, special in segments if not special)
    assert "s = '<|user|>'\n" in plain
    assert "".join(text for text, _ in segments) == get_template(name).render(tricky)


def test_unknown_mode_falls_back_to_line() -> None:
    req = FimRequest(prefix="a", suffix="b", mode="WHATEVER")
    assert "###MODE:LINE\n" in CODEGEEX4.render(req)


def test_stop_ids_resolved_by_text_and_missing_skipped() -> None:
    vocab = {"<|endoftext|>": 151329, "<|user|>": 151336}
    assert CODEGEEX4.stop_ids(vocab.get) == (151329, 151336)


def test_versions_are_unique() -> None:
    versions = [t.version for t in TEMPLATES.values()]
    assert len(versions) == len(set(versions))


GLM_CODE = {"<|code_prefix|>", "<|code_suffix|>", "<|code_middle|>", "[gMASK]"}
SELECT_CASES = [
    ({"general.architecture": "chatglm", "general.name": "codegeex4-all-9b"}, set(), "codegeex4"),
    ({"general.architecture": "chatglm", "general.name": "tiny"}, GLM_CODE, "codegeex4"),
    (
        {"general.architecture": "chatglm", "general.name": "glm-edge-1.5b-chat"},
        set(),
        "glm-edge-chat",
    ),
    ({"general.architecture": "glm4", "general.name": "GLM-4-9B-0414"}, set(), "glm4-chat"),
    ({"general.architecture": "qwen2"}, {"<|fim_prefix|>", "<|endoftext|>"}, "qwen2.5-coder"),
    ({"general.architecture": "starcoder2"}, {"<fim_prefix>"}, "starcoder2"),
    ({"general.architecture": "llama"}, {"<\uff5cfim\u2581begin\uff5c>"}, "deepseek-coder"),
    ({"general.architecture": "llama"}, {"\u2581<PRE>"}, "codellama"),
]


@pytest.mark.parametrize(("meta", "tokens", "expected"), SELECT_CASES)
def test_select_template(meta: dict[str, str], tokens: set[str], expected: str) -> None:
    chosen = select_template(meta, tokens)
    assert chosen is not None and chosen.name == expected


def test_select_unknown_model_is_none_and_explicit_name_wins() -> None:
    assert select_template({"general.architecture": "mamba"}, {"a"}) is None
    chosen = select_template({"general.architecture": "mamba"}, (), name="starcoder2")
    assert chosen is not None and chosen.name == "starcoder2"
    with pytest.raises(ValueError, match="known"):
        select_template({}, (), name="nope")
