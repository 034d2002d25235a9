"""Turn raw model output into a suggestion worth showing, or into nothing.

Every rule is a pure function over strings (plus a tree-sitter parse for the last one), so each
is table-tested on its own; :func:`clean` chains them in the order that makes the later rules
see already-trimmed text. A rule never invents code: it cuts, drops, or (for members) swaps an
identifier for a known one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tree_sitter import Node

from glm_lsp.syntax.languages import LanguageSpec
from glm_lsp.syntax.parse import parse_text

log = logging.getLogger(__name__)

_OPEN_TO_CLOSE = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_OPEN_TO_CLOSE.values())
_TRIVIAL = frozenset("()[]{};,: \t")
_DUPLICATE_WINDOW = 3


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _significant(line: str) -> bool:
    """Lines that say something (not just ``}`` or ``)``): only those count as duplicates."""
    stripped = line.strip()
    return len(stripped) >= 3 and any(ch not in _TRIVIAL for ch in stripped)


def _following_lines(suffix: str, count: int) -> list[str]:
    """The next ``count`` non-blank lines after the cursor's line."""
    rest = suffix.split("\n", 1)
    if len(rest) < 2:
        return []
    out = [line.rstrip() for line in rest[1].split("\n") if line.strip()]
    return out[:count]


def normalize_newlines(text: str) -> str:
    """``\r\n`` and lone ``\r`` become ``\n``: the rules below split on ``\n`` only, and a raw
    ``\r`` in ghost text renders as garbage (editors convert ``\n`` to the document's EOL)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def first_line_only(text: str) -> str:
    """LINE mode keeps the first line (the model may run on into the next statements)."""
    return text.split("\n", 1)[0]


def trim_leading_space(text: str, line_prefix: str) -> str:
    """No second space after ``x = |`` (nor extra indentation after typed indentation)."""
    if line_prefix.endswith((" ", "\t")):
        return text.lstrip(" \t")
    return text


def cut_suffix_repeat(text: str, line_prefix: str, suffix: str) -> str:
    """Cut where the suggestion starts repeating the text after the cursor.

    Two forms: the first line ends with the current line's remainder (``foo(a)):`` before
    ``):``), or a suggested line equals the next non-blank line of the document (the model
    finished the gap and went on to write code that is already there).
    """
    remainder = suffix.split("\n", 1)[0].strip()
    lines = text.split("\n")
    first = lines[0].rstrip()
    if remainder and first.endswith(remainder):
        cut = len(first) - len(remainder)
        excess = set(_unmatched_closers(first))
        # A closer in the repeated tail must close a bracket of the prefix, else the
        # suggestion closed its own bracket there (``f(a)`` before ``)``) and is no repeat.
        if all(j in excess for j in range(cut, len(first)) if first[j] in _CLOSERS):
            return first[:cut].rstrip(" \t")
    following = _following_lines(suffix, 1)
    if not following:
        return text
    nxt = following[0]
    full = [line_prefix + lines[0], *lines[1:]]
    for i, line in enumerate(full):
        if line.rstrip() == nxt and (i > 0 or not line_prefix.strip()):
            return "\n".join(lines[:i]).rstrip() if i > 0 else ""
    return text


def drop_duplicate_lines(
    text: str, line_prefix: str, suffix: str, window: int = _DUPLICATE_WINDOW
) -> str:
    """Drop suggested lines identical to one of the next ``window`` lines of the document."""
    following = set(_following_lines(suffix, window))
    if not following:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        full = line_prefix + line if i == 0 else line
        duplicate = full.rstrip() in following and _significant(full)
        if duplicate and (i > 0 or not line_prefix.strip()):
            continue
        kept.append(line)
    if not kept or (len(kept) == 1 and not kept[0].strip() and len(lines) > 1):
        return ""
    return "\n".join(kept)


def stop_at_scope_end(text: str, line_prefix: str) -> str:
    """Cut before the first line indented less than the cursor's line: the scope ended there
    (Python dedent, a closing ``}`` that the document usually already has)."""
    base = _indent(line_prefix) if line_prefix.strip() else len(line_prefix)
    lines = text.split("\n")
    for i in range(1, len(lines)):
        line = lines[i]
        if line.strip() and _indent(line) < base:
            return "\n".join(lines[:i]).rstrip()
    return text


def _unmatched_closers(text: str) -> list[int]:
    """Positions of closers in ``text`` that close a bracket opened before it (in the prefix).

    Quotes are skipped roughly (same-line strings), enough for generated code.
    """
    stack: list[str] = []
    excess: list[int] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote or ch == "\n":
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in _OPEN_TO_CLOSE:
            stack.append(_OPEN_TO_CLOSE[ch])
        elif ch in _CLOSERS:
            if stack and stack[-1] == ch:
                stack.pop()
            elif not stack:
                excess.append(i)
        i += 1
    return excess


def balance_brackets(text: str, suffix: str) -> str:
    """Drop trailing closers the document already has right after the cursor.

    ``foo(`` + suggestion ``a, b)`` + suffix ``)`` would leave ``foo(a, b))``; the suggestion's
    last unmatched closers that equal the suffix's leading closers are removed, which yields
    exactly the text the model meant.
    """
    remainder = suffix.split("\n", 1)[0].lstrip(" \t")
    lead = ""
    for ch in remainder:
        if ch not in _CLOSERS:
            break
        lead += ch
    if not lead:
        return text
    body = text.rstrip(" \t")
    excess = set(_unmatched_closers(body))
    tail_start = len(body)
    while tail_start > 0 and tail_start - 1 in excess:
        tail_start -= 1
    tail = body[tail_start:]
    for k in range(min(len(tail), len(lead)), 0, -1):
        if tail[-k:] == lead[:k]:
            return body[:-k].rstrip(" \t")
    return text


def repair_member(text: str, typed: str, members: Sequence[str] | None) -> str | None:
    """At ``receiver.typed|`` with known members: keep a suggestion naming a member, swap an
    unknown name for the closest member that starts with what was typed, or drop it."""
    if not members:
        return text
    i = 0
    while i < len(text) and (text[i].isalnum() or text[i] == "_"):
        i += 1
    ident = typed + text[:i]
    if not ident:
        return None
    if ident in members:
        return text
    options = [m for m in members if m.startswith(typed)]
    if not options:
        return None

    def shared(name: str) -> int:
        n = 0
        while n < min(len(name), len(ident)) and name[n] == ident[n]:
            n += 1
        return n

    best = min(options, key=lambda m: (-shared(m), len(m), m))
    if shared(best) == 0:
        return None  # nothing in common: a guess, not a repair
    return best[len(typed) :] + text[i:]


def _count_errors(node: Node) -> int:
    if node.is_error or node.is_missing:
        return 1 + sum(_count_errors(c) for c in node.children if c.has_error)
    if not node.has_error:
        return 0
    return sum(_count_errors(c) for c in node.children)


def parse_errors(spec: LanguageSpec, text: str) -> int:
    """ERROR and MISSING nodes in ``text``'s tree."""
    return _count_errors(parse_text(spec, text).root_node)


def adds_parse_errors(spec: LanguageSpec | None, before: str, suggestion: str, after: str) -> bool:
    """Does inserting ``suggestion`` between ``before`` and ``after`` make the code parse worse?

    Counts, not presence: the windows around the cursor are often broken already (the user is
    typing), and a suggestion is only blamed for errors it adds. The hole at the cursor is
    itself often an error (``y = |``); the baseline is the better of the text as it is and the
    text with a placeholder identifier in the hole, so a suggestion must at least fill it.
    """
    if spec is None:
        return False
    try:
        base = min(parse_errors(spec, before + after), parse_errors(spec, before + "_" + after))
        return parse_errors(spec, before + suggestion + after) > base
    except Exception:
        log.exception("parse check failed; keeping the suggestion")
        return False


@dataclass(frozen=True)
class PostContext:
    """What the rules need to know about the cursor (all plain text, cheap to build)."""

    line_prefix: str
    suffix: str  # document text after the cursor (a window of it is enough)
    block: bool  # BLOCK mode: several lines allowed
    before: str = ""  # window of text before the cursor, for the parse check
    spec: LanguageSpec | None = None
    typed: str = ""  # identifier characters typed before the cursor
    members: tuple[str, ...] | None = None  # known members at a receiver, else None


@dataclass(frozen=True)
class PostStep:
    """What one rule did to a suggestion: ``after`` is ``None`` when the rule rejected it.
    Only rules that changed or rejected something are recorded (the trace shows the path)."""

    rule: str
    before: str
    after: str | None


def clean(text: str, ctx: PostContext, steps: list[PostStep] | None = None) -> str | None:
    """All rules in order; ``None`` when nothing worth showing is left. With ``steps``, each
    rule that changed or rejected the text is appended to it."""

    def step(rule: str, before: str, after: str | None) -> str | None:
        if steps is not None and after != before:
            steps.append(PostStep(rule, before, after))
        return after

    out = step(
        "normalize", text, trim_leading_space(normalize_newlines(text).rstrip(), ctx.line_prefix)
    )
    assert out is not None
    if not ctx.block:
        out = step("first_line", out, first_line_only(out)) or ""
    out = step("suffix_repeat", out, cut_suffix_repeat(out, ctx.line_prefix, ctx.suffix)) or ""
    out = step("duplicate_lines", out, drop_duplicate_lines(out, ctx.line_prefix, ctx.suffix)) or ""
    if ctx.block:
        out = step("scope_end", out, stop_at_scope_end(out, ctx.line_prefix)) or ""
    out = step("balance", out, balance_brackets(out, ctx.suffix)) or ""
    repaired = step("member", out, repair_member(out, ctx.typed, ctx.members))
    if repaired is None:
        return None
    out = repaired.rstrip()
    if not out.strip():
        step("empty", out, None)
        return None
    if adds_parse_errors(ctx.spec, ctx.before, out, ctx.suffix):
        step("parse_errors", out, None)
        return None
    return out
