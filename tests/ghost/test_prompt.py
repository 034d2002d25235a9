"""Prompt windows: budgets hold, boundaries snap, and typing leaves the prompt head unchanged."""

from __future__ import annotations

import itertools

import pytest

from glm_lsp.ghost.mode import Mode
from glm_lsp.ghost.prompt import (
    Budget,
    TokenCounter,
    build_window,
    display_path,
    estimate_tokens,
    prefix_window,
    select_references,
    stop_strings_for,
    suffix_window,
)
from glm_lsp.model.templates import CODEGEEX4, Reference


def _chars(text: str) -> list[int]:
    """A tokenizer with one token per character: counts are easy to check by hand."""
    return [ord(c) for c in text]


def _doc(lines: int) -> str:
    return "".join(f"line_{i:03d} = {i}\n" for i in range(lines))  # 14 chars per line


CHARS = TokenCounter(_chars)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


@pytest.mark.parametrize(
    ("lines", "cursor_line", "budget", "block", "start_line"),
    [
        (100, 50, 10_000, 32, 0),  # everything fits
        (100, 50, 14 * 20, 32, 32),  # 18 lines of the cursor's block + nothing more
        (100, 70, 14 * 40, 32, 32),  # block 64.. (6 lines) + block 32..64 (32 lines) fits
        (100, 70, 14 * 37, 32, 64),  # block 32..64 no longer fits
        (100, 70, 14 * 40, 16, 32),
        (100, 70, 14 * 3, 32, 67),  # the cursor's block alone is too big: whole lines
    ],
)
def test_prefix_window_snaps_to_blocks(
    lines: int, cursor_line: int, budget: int, block: int, start_line: int
) -> None:
    text = _doc(lines)
    offset = text.index(f"line_{cursor_line:03d}")
    start = prefix_window(text, offset, budget, CHARS, block)
    assert start == 0 or text[start - 1] == "\n"
    assert _line_of(text, start) == start_line
    assert len(text[start:offset]) <= budget


@pytest.mark.parametrize(
    ("lines", "cursor_line", "budget", "block", "lines_below"),
    [
        (100, 50, 10_000, 32, 49),  # to the end of the file
        # 49 lines below; bottom blocks: lines 68..99 are the last whole block of 32
        (100, 50, 14 * 20, 32, 17),  # rest of line 50 + lines 51..67
        (100, 50, 14 * 50, 32, 49),  # + the block 68..99
        (100, 50, 14 * 17, 32, 16),  # the partial block is too big: whole lines
        (100, 95, 14 * 2, 32, 1),  # the first block is too big: whole lines
    ],
)
def test_suffix_window_snaps_from_the_bottom(
    lines: int, cursor_line: int, budget: int, block: int, lines_below: int
) -> None:
    text = _doc(lines)
    offset = text.index(f"line_{cursor_line:03d}") + 8  # mid-line
    end = suffix_window(text, offset, budget, CHARS, block)
    assert text[end - 1] == "\n"
    assert text[offset:end].count("\n") - 1 == lines_below
    assert len(text[offset:end]) <= budget


def test_suffix_is_unchanged_by_typing_and_enter_above() -> None:
    text = _doc(300)
    offset = text.index("line_150")
    end = suffix_window(text, offset, 600, CHARS)
    suffix = text[offset:end]
    for typed in ("x", "x = 1", "x = 1\n", "x = 1\ny", "x = 1\ny = (\n    2,\n"):
        edited = text[:offset] + typed + text[offset:]
        cursor = offset + len(typed)
        new_end = suffix_window(edited, cursor, 600, CHARS)
        assert edited[cursor:new_end] == suffix, typed


def test_naive_suffix_changes_on_enter() -> None:
    text = _doc(300)
    offset = text.index("line_150")
    end = suffix_window(text, offset, 600, CHARS, snap=False)
    edited = text[:offset] + "x = 1\n" + text[offset:]
    new_end = suffix_window(edited, offset + 6, 600, CHARS, snap=False)
    # naive counts lines from the cursor: unchanged here, and the prefix moves instead
    assert edited[offset + 6 : new_end] == text[offset:end]
    start = prefix_window(text, offset, 600, CHARS, snap=False)
    new_start = prefix_window(edited, offset + 6, 600, CHARS, snap=False)
    assert new_start != start


def test_prefix_start_stable_while_typing_a_function() -> None:
    text = _doc(300)
    offset = text.index("line_150")
    body = "def added(a, b):\n    total = a + b\n    return total\n"
    starts = set()
    for i in range(len(body) + 1):
        edited = text[:offset] + body[:i] + text[offset:]
        starts.add(prefix_window(edited, offset + i, 14 * 60, CHARS))
    assert len(starts) <= 2  # at most one jump of one block


def test_references_sorted_deduplicated_budgeted() -> None:
    refs = [
        Reference("b.py", "def b(): ..."),
        Reference("a.py", "def a(): ..."),
        Reference("a.py", "def a(): ..."),
        Reference("cur.py", "def mine(): ..."),
        Reference("c.py", "x" * 500),
        Reference("d.py", "   "),
    ]
    out = select_references(refs, 100, CHARS, "cur.py")
    assert [r.path for r in out] == ["a.py", "b.py"]
    assert select_references(refs, 10, CHARS, "cur.py") == ()


def test_build_window_stable_layout_renders_codegeex4() -> None:
    text = "import os\n\ndef f(x):\n    return x\n\nprint(f(1))\n"
    offset = text.index("return x") + len("return ")
    window = build_window(
        text,
        offset,
        path="pkg/m.py",
        language="python",
        mode=Mode.LINE,
        counter=TokenCounter(None),
        budget=Budget(total=512),
        references=[Reference("pkg/other.py", "def g(): ...")],
    )
    req = window.request
    assert req.prefix == text[:offset] and req.suffix == text[offset:]
    assert req.mode == "BLOCK"  # pinned in the stable layout
    prompt = CODEGEEX4.render(req)
    assert prompt.startswith("[gMASK]<sop><|user|>\n###REFERENCE:\n###PATH:pkg/other.py\n")
    assert "<|code_suffix|>x\n\nprint(f(1))\n<|code_prefix|>import os" in prompt
    naive = build_window(
        text,
        offset,
        path="pkg/m.py",
        language="python",
        mode=Mode.LINE,
        counter=TokenCounter(None),
        budget=Budget(total=512),
        stable=False,
    )
    assert naive.request.mode == "LINE"


def test_counter_estimates_and_memoises() -> None:
    calls: list[str] = []

    def tok(text: str) -> list[int]:
        calls.append(text)
        return [0] * (len(text) // 2)

    counter = TokenCounter(tok, capacity=2)
    assert counter.count("abcd") == 2
    assert counter.count("abcd") == 2
    assert calls == ["abcd"]
    assert TokenCounter(None).count("x" * 30) == estimate_tokens("x" * 30) > 0
    assert counter.count("") == 0


def test_stop_strings() -> None:
    assert stop_strings_for(Mode.LINE) == ("\n",)
    assert stop_strings_for(Mode.BLOCK) == ()


def test_degenerate_inputs() -> None:
    for text, offset in (("", 0), ("x", 5), ("\n\n\n", 1), ("a" * 5000, 2500)):
        w = build_window(
            text,
            offset,
            path="",
            language="",
            mode=Mode.LINE,
            counter=CHARS,
            budget=Budget(total=400),
        )
        cursor = min(offset, len(text))
        assert w.start <= cursor <= w.end
        assert len(w.request.prefix) <= Budget(total=400).prefix


def test_stable_layout_prompt_is_the_same_in_line_and_block_mode() -> None:
    text = _doc(200)
    offset = text.index("line_100")
    kwargs = {"path": "m.py", "language": "python", "counter": CHARS, "budget": Budget(900)}
    line = build_window(text, offset, mode=Mode.LINE, **kwargs)  # type: ignore[arg-type]
    block = build_window(text, offset, mode=Mode.BLOCK, **kwargs)  # type: ignore[arg-type]
    assert CODEGEEX4.render(line.request) == CODEGEEX4.render(block.request)
    naive = build_window(text, offset, mode=Mode.LINE, stable=False, **kwargs)  # type: ignore[arg-type]
    assert "###MODE:LINE" in CODEGEEX4.render(naive.request)


ROOT = "/home/alice/ws"
KEY = "k3J9xQ2mLp8ZrT4vW7yB1nC6hF0dG5sA9eU2iO3q"
TOKEN = "sk-" + "proj-Xq7Lm2Pz9Rt4Vw8Yb1Nc6Hf0Jd5Sa3Eu"


@pytest.mark.parametrize(
    ("path", "roots", "shown"),
    [
        (f"{ROOT}/pkg/m.py", [ROOT], "pkg/m.py"),
        (f"{ROOT}/sub/a.py", [ROOT, f"{ROOT}/sub"], "a.py"),  # the innermost folder
        (f"{ROOT}/pkg/m.py", ["/srv/other", ROOT], "pkg/m.py"),
        ("/home/alice/notes/todo.py", [ROOT], "todo.py"),  # outside: the base name only
        ("/home/alice/ws2/x.py", [ROOT], "x.py"),  # a sibling that shares the prefix
        (f"{ROOT}/pkg/m.py", [], "m.py"),  # no workspace known
        ("pkg/m.py", [], "pkg/m.py"),
        ("../elsewhere/m.py", [ROOT], "m.py"),
        ("", [ROOT], ""),
    ],
)
def test_display_path_is_workspace_relative_never_absolute(
    path: str, roots: list[str], shown: str
) -> None:
    assert display_path(path, roots) == shown


def test_build_window_redacts_windows_and_references_and_hides_absolute_paths() -> None:
    text = (
        f'SECRET_KEY = "{KEY}"\nclient = OpenAI("{TOKEN}")\n\ndef f():\n    return \n'
        f'\nAPI_TOKEN = "{KEY}"\n'
    )
    offset = text.index("return ") + len("return ")
    refs = [
        Reference(f"{ROOT}/pkg/settings.py", f'SECRET_KEY = "{KEY}"\n'),
        Reference(f"{ROOT}/.env", f"OPENAI_API_KEY={TOKEN}\nDEBUG=1\n"),  # a secret file
        Reference("/home/alice/elsewhere/util.py", "def util(): ...\n"),
    ]
    window = build_window(
        text,
        offset,
        path=f"{ROOT}/pkg/app.py",
        language="python",
        mode=Mode.LINE,
        counter=CHARS,
        budget=Budget(total=2000),
        references=refs,
        roots=[ROOT],
    )
    prompt = CODEGEEX4.render(window.request)
    assert KEY not in prompt and TOKEN not in prompt
    assert "/home/alice" not in prompt and "DEBUG=1" not in prompt
    assert window.request.path == "pkg/app.py"
    assert [r.path for r in window.request.references] == ["pkg/settings.py", "util.py"]
    assert window.request.references[0].code == 'SECRET_KEY = "<redacted>"\n'
    assert window.request.prefix.startswith('SECRET_KEY = "<redacted>"\nclient = OpenAI(')
    assert window.request.suffix.endswith('API_TOKEN = "<redacted>"\n')


def test_secret_current_file_sends_no_text() -> None:
    text = f"OPENAI_API_KEY={TOKEN}\nDEBUG=1\nLOG_LEVEL=\n"
    window = build_window(
        text,
        text.index("LOG_LEVEL=") + len("LOG_LEVEL="),
        path=f"{ROOT}/.env",
        language="",
        mode=Mode.LINE,
        counter=CHARS,
        budget=Budget(total=2000),
        roots=[ROOT],
    )
    assert window.request.prefix == window.request.suffix == ""
    assert window.request.path == ".env"


def test_redacted_prompt_head_is_stable_while_typing() -> None:
    """KV reuse: redaction is a function of each block, so typing at the cursor leaves every
    byte before the cursor's block where it was."""
    head = "".join(f"value_{i} = {i}\n" for i in range(60))
    text = f'API_KEY = "{KEY}"\n' + head + "total = val"
    prompts = []
    for typed in ("", "u", "ue_1"):
        doc = text + typed
        w = build_window(
            doc,
            len(doc),
            path=f"{ROOT}/m.py",
            language="python",
            mode=Mode.LINE,
            counter=CHARS,
            budget=Budget(total=4000),
            roots=[ROOT],
        )
        prompts.append(CODEGEEX4.render(w.request))
    for before, after in itertools.pairwise(prompts):
        cut = before.index("<|code_middle|>")
        assert after.startswith(before[:cut])
        assert KEY not in after
