"""Token-budgeted FIM prompts laid out so that llama.cpp's KV cache survives typing.

llama.cpp keeps the longest common token prefix of the previous prompt and evaluates only the
rest, so every part of the prompt before the cursor's neighbourhood must stay byte-identical
from one keystroke to the next. CodeGeeX4 puts the *suffix first*, which makes that harder:

- **Prefix window** ``text[start:offset]``: ``start`` is the first line of a block of
  ``block_lines`` lines counted from the top of the file; the earliest block start whose text
  fits the prefix budget wins. Typing at the cursor changes neither ``start`` nor any text
  before the cursor until the window overflows (then it jumps one block, once).
- **Suffix window** ``text[offset:end]``: ``end`` is a block boundary counted from the *bottom*
  of the file. Lines below the cursor keep their distance to the end of the file while the user
  types above them, so the suffix is a function of ``text[offset:]`` alone: it does not change
  while the user types at the cursor (the remainder of the current line belongs to the suffix
  and is unchanged by typing before it). Counting from the top instead would shift the suffix
  end by a line on every Enter and re-evaluate the whole prefix (``naive`` layout, measured in
  ``tests/benchmarks/bench_kv_reuse.py``).
- **Mode**: ``###MODE`` precedes the suffix, so flipping LINE/BLOCK between keystrokes would
  re-evaluate everything after it. The stable layout writes ``BLOCK`` always and gets one line
  in LINE mode from a newline stop string and post-processing (see ``stop_strings_for``).
- **References** (definitions of imported names, snapshots of recently edited files) come
  first, sorted by path and name, never including the current file: they change only when
  imports or other files change.
- **Secrets and paths** (``secrets.py``): every window and reference is redacted per block of
  lines, a deterministic function of the block's text, so the KV cache still reuses the head;
  a secret file (``.env``, ``*.pem``...) is never a reference and, as the current file, sends
  no text at all. Paths are workspace-relative, or the base name outside the workspace: a
  prompt never carries an absolute path or the user's home directory.

Budgets are fixed shares of the prompt budget, so one part never grows at another's expense
(that would move text the cache depends on). Token counts come from the backend's tokenizer,
cached per line block, or from a chars-per-token estimate when no tokenizer is available.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from glm_lsp.ghost.mode import Mode
from glm_lsp.ghost.secrets import is_secret_file, redact, redact_window
from glm_lsp.model.templates import FimRequest, Reference

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.0
"""Estimate for code when no tokenizer is at hand (GLM's BPE gives about 3 to 4 chars per token on
Python; erring low keeps the real prompt inside the context)."""


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1 if text else 0


class TokenCounter:
    """Token counts per text piece, memoised: the window search asks about the same line blocks
    on every keystroke and only the block under the cursor changes."""

    def __init__(
        self, tokenize: Callable[[str], Sequence[int]] | None = None, capacity: int = 4096
    ) -> None:
        self._tokenize = tokenize
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._capacity = capacity

    def count(self, text: str) -> int:
        if not text:
            return 0
        if self._tokenize is None:
            return estimate_tokens(text)
        hit = self._cache.get(text)
        if hit is not None:
            self._cache.move_to_end(text)
            return hit
        try:
            n = len(self._tokenize(text))
        except Exception:
            log.debug("tokenize failed; estimating", exc_info=True)
            n = estimate_tokens(text)
        self._cache[text] = n
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return n


@dataclass(frozen=True)
class Budget:
    """Token budget of one prompt; shares are of ``total``."""

    total: int = 1536
    suffix_share: float = 0.25
    reference_share: float = 0.2
    block_lines: int = 32

    @property
    def suffix(self) -> int:
        return int(self.total * self.suffix_share)

    @property
    def references(self) -> int:
        return int(self.total * self.reference_share)

    @property
    def prefix(self) -> int:
        return self.total - self.suffix - self.references


@dataclass(frozen=True)
class Window:
    """A built request plus where its windows lie (for --explain and the result cache)."""

    request: FimRequest
    start: int  # str offset where the prefix window begins
    end: int  # str offset where the suffix window ends


def _line_starts(text: str, begin: int, end: int) -> list[int]:
    """Offsets of the starts of lines beginning in ``(begin, end]``, in order."""
    out: list[int] = []
    pos = text.find("\n", begin, end)
    while pos >= 0:
        out.append(pos + 1)
        pos = text.find("\n", pos + 1, end)
    return out


def prefix_window(
    text: str, offset: int, budget: int, counter: TokenCounter, block: int = 32, snap: bool = True
) -> int:
    """Start offset of the prefix window (see the module doc); ``snap=False`` is the naive
    layout: as many whole lines as fit, counted back from the cursor."""
    starts = [0, *_line_starts(text, 0, offset)]
    cursor_line = len(starts) - 1
    step = block if snap else 1
    first = (cursor_line // step) * step
    used = counter.count(text[starts[first] : offset])
    chosen = starts[first]
    line = first
    while line > 0:
        prev = max(0, line - step)
        cost = counter.count(text[starts[prev] : starts[line]])
        if used + cost > budget:
            break
        used += cost
        line = prev
        chosen = starts[line]
    if used > budget:
        # Even the cursor's own block is too big: keep whole lines from the cursor back.
        chosen = _trim_front(text, chosen, offset, budget, counter)
    return chosen


def _trim_front(text: str, start: int, offset: int, budget: int, counter: TokenCounter) -> int:
    for line_start in _line_starts(text, start, offset):
        if counter.count(text[line_start:offset]) <= budget:
            return line_start
    keep = min(offset - start, int(budget * CHARS_PER_TOKEN))
    while keep > 0 and counter.count(text[offset - keep : offset]) > budget:
        keep = keep * 3 // 4
    return offset - keep


def suffix_window(
    text: str, offset: int, budget: int, counter: TokenCounter, block: int = 32, snap: bool = True
) -> int:
    """End offset of the suffix window: block boundaries counted from the end of the file
    (``snap``) or from the top (naive: whole lines while they fit)."""
    ends = _line_starts(text, offset, len(text))  # starts of the lines after the cursor's
    if not ends or ends[-1] != len(text):
        ends.append(len(text))
    if not snap:
        end = offset
        for candidate in ends:
            if counter.count(text[offset:candidate]) > budget:
                break
            end = candidate
        return end
    # ends[-1] is the end of the file; lines after the cursor's, counted from the bottom.
    below = len(ends) - 1
    first = below % block  # lines from the cursor's line to the first boundary
    boundaries = [ends[first]]
    boundaries.extend(ends[i] for i in range(first + block, below + 1, block))
    used = counter.count(text[offset : boundaries[0]])
    if used > budget:
        end = offset
        for candidate in ends[: first + 1]:
            if counter.count(text[offset:candidate]) > budget:
                break
            end = candidate
        return end
    chosen = boundaries[0]
    for nxt in boundaries[1:]:
        cost = counter.count(text[chosen:nxt])
        if used + cost > budget:
            break
        used += cost
        chosen = nxt
    return chosen


def select_references(
    candidates: Iterable[Reference], budget: int, counter: TokenCounter, current_path: str
) -> tuple[Reference, ...]:
    """Deterministic: sorted by (path, code), the current file excluded, cut to the budget."""
    out: list[Reference] = []
    used = 0
    seen: set[tuple[str, str]] = set()
    for ref in sorted(candidates, key=lambda r: (r.path, r.code)):
        key = (ref.path, ref.code)
        if ref.path == current_path or key in seen or not ref.code.strip():
            continue
        seen.add(key)
        cost = counter.count(ref.code) + 8  # + header tokens
        if used + cost > budget:
            continue
        used += cost
        out.append(ref)
    return tuple(out)


def build_window(
    text: str,
    offset: int,
    *,
    path: str,
    language: str,
    mode: Mode,
    counter: TokenCounter,
    budget: Budget,
    references: Iterable[Reference] = (),
    stable: bool = True,
    roots: Sequence[str] = (),
) -> Window:
    """The FIM request for the cursor (``stable=False``: the naive layout, for comparison).

    ``roots`` are the workspace folders paths are shown relative to. Windows and references
    are redacted (``secrets.py``); a secret file sends neither prefix nor suffix.
    """
    offset = max(0, min(offset, len(text)))
    start = prefix_window(text, offset, budget.prefix, counter, budget.block_lines, stable)
    end = suffix_window(text, offset, budget.suffix, counter, budget.block_lines, stable)
    shown = display_path(path, roots)
    safe = [
        Reference(display_path(ref.path, roots), redact(ref.code))
        for ref in references
        if ref.path != path and not is_secret_file(ref.path)
    ]
    refs = select_references(safe, budget.references, counter, shown)
    secret = is_secret_file(path)
    block = budget.block_lines
    request = FimRequest(
        prefix="" if secret else redact_window(text[start:offset], block),
        suffix="" if secret else redact_window(text[offset:end], block),
        path=shown,
        language=language,
        mode=Mode.BLOCK.value if stable else mode.value,
        references=refs,
    )
    return Window(request, start, end)


def stop_strings_for(mode: Mode) -> tuple[str, ...]:
    """LINE ends at the newline (the prompt always says BLOCK in the stable layout)."""
    return ("\n",) if mode is Mode.LINE else ()


def display_path(path: str, roots: Sequence[str] = ()) -> str:
    """Path shown to the model: relative to the innermost workspace folder of ``roots`` that
    holds it; else the base name (a file outside the workspace, or no workspace known). Never
    absolute: prompts may leave the machine, and an absolute path names the user's home. A
    path that is already relative stays as it is (tests, ``glm-lsp complete`` on a relative
    name) unless it climbs out with ``..``."""
    if not path:
        return ""
    if not os.path.isabs(path):
        rel = os.path.normpath(path)
        return os.path.basename(rel) if rel.startswith("..") else rel.replace(os.sep, "/")
    target = os.path.normpath(path)
    best = ""
    for root in roots:
        base = os.path.normpath(str(root))
        if len(base) > len(best) and _inside(target, base):
            best = base
    if not best:
        return os.path.basename(target)
    return os.path.relpath(target, best).replace(os.sep, "/")


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root and path != root
    except ValueError:  # different drives
        return False
