"""Context drafts: found by text search, voted, never from the cursor's own line, scored by the
model through forced decoding and shown only when more confident than the model's own."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
from fake_backend import FakeBackend

from glm_lsp.config import Settings
from glm_lsp.ghost.drafts import (
    Draft,
    Match,
    _draft_logprobs,
    draft_confidence,
    find_draft,
    find_matches,
    vote,
)
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.service import GhostService
from glm_lsp.model.backend import CancelToken, Generation, GenerationRequest
from glm_lsp.model.logprobs import force_tokens, steering
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import ParsedDocument, parse_text

SRC = """class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def move(self, dx, dy):
        return Point(self.x + dx, self.y + dy)

    def copy(self):
        return Point(self.x + dx‸
"""


def _cut(src: str) -> tuple[str, int]:
    offset = src.index("‸")
    return src[:offset] + src[offset + 1 :], offset


# -- finding and voting --------------------------------------------------------------------------


def test_the_rest_of_a_repeated_line_is_found() -> None:
    text, offset = _cut(SRC)
    draft = find_draft(text, offset)
    assert draft is not None
    assert draft.text == ", self.y + dy)"
    assert draft.agree == 1 and draft.full  # the match starts its line alike


def test_no_draft_when_the_code_before_the_cursor_is_nowhere_else() -> None:
    text, offset = _cut("def f(a):\n    return a * 2\n\nvalue = compute_something(‸\n")
    assert find_draft(text, offset) is None


def test_the_cursors_own_line_is_never_a_source() -> None:
    # The rest of the line is still in the document (not yet deleted): it must not be drafted
    # from itself; the only other occurrence is on the cursor's line.
    text = "total = price * count + price * count\n"
    offset = text.index("+ price") - 1
    assert find_matches(text, offset) == []
    assert find_draft(text, offset) is None


def test_a_short_prefix_gives_no_draft() -> None:
    text, offset = _cut("x = 1\nx = 2\nx‸\n")
    assert find_draft(text, offset) is None  # 1 character: below the rule's minimum


def _m(length: int, continuation: str, full: bool = False) -> Match:
    return Match(0, length, full, continuation)


def test_vote_takes_the_most_frequent_continuation() -> None:
    ms = [_m(8, "a)"), _m(8, "b)"), _m(8, "a)")]
    draft = vote(ms, 6)
    assert draft == Draft("a)", 2, 3, 8, False)


def test_vote_ties_go_to_the_longest_match() -> None:
    assert vote([_m(7, "short"), _m(12, "long")], 6) == Draft("long", 1, 2, 12, False)


def test_only_the_longest_matches_vote_when_asked() -> None:
    ms = [_m(6, "x"), _m(6, "x"), _m(10, "y")]
    draft = vote(ms, 6, longest=True)
    assert draft is not None and draft.text == "y" and draft.voters == 1


def test_vote_needs_its_share_and_skips_empty_continuations() -> None:
    assert vote([_m(8, "a"), _m(8, "b"), _m(8, "c")], 6, min_share=0.5) is None
    assert vote([_m(8, "  "), _m(8, "  ")], 6) is None
    assert vote([_m(3, "a")], 6) is None


def test_a_secret_shaped_draft_is_never_used() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    src = f'headers = {{"Authorization": "{token}"}}\n' + 'headers = {"Authorization": ‸\n'
    text, offset = _cut(src)
    assert find_draft(text, offset) is None
    plain = src.replace(token, "application/json")
    text, offset = _cut(plain)
    found = find_draft(text, offset)
    assert found is not None and found.text == '"application/json"}'


def test_draft_confidence_grows_with_agreement_and_the_models_probability() -> None:
    one = Draft("x)", 1, 1, 8, False)
    three = Draft("x)", 3, 3, 8, False)
    assert draft_confidence(1e-6, three) > draft_confidence(1e-6, one)
    assert draft_confidence(1e-2, one) > draft_confidence(1e-6, one)
    assert 0.0 < draft_confidence(1e-30, one) < 1.0


# -- forced decoding ---------------------------------------------------------------------------


def test_force_tokens_leaves_only_the_forced_token() -> None:
    process = force_tokens(3, [5, 7])
    row = np.zeros(10, dtype=np.float32)
    out = process([1, 2, 3], row.copy())
    assert np.isfinite(out).sum() == 1 and np.isfinite(out[5])
    out = process([1, 2, 3, 5], row.copy())
    assert np.isfinite(out[7]) and np.isfinite(out).sum() == 1
    out = process([1, 2, 3, 5, 7], row.copy())  # past the draft: sampling is free again
    assert np.isfinite(out).all()
    assert steering(3, (), []) is None
    assert steering(3, (4,), [5]) is not None


def _gen(lps: tuple[tuple[str, float], ...], finish: str = "stop") -> Generation:
    text = "".join(t for t, _ in lps)
    return Generation(text, 10, 0, len(lps), False, finish, 0.0, logprobs=lps)


def test_draft_logprobs_read_the_end_of_the_line() -> None:
    draft = "a(b)"
    ended = _draft_logprobs(_gen((("a(", -1.0), ("b)", -2.0), ("", -0.1))), draft)
    assert ended == (("a(", -1.0), ("b)", -2.0), ("", -0.1))
    newline = _draft_logprobs(_gen((("a(", -1.0), ("b)", -2.0), ("\n", -0.3))), draft)
    assert newline is not None and newline[-1] == ("", -0.3)
    # The model would go on: 1 - p(its next token) bounds the end's probability.
    going = _draft_logprobs(_gen((("a(", -1.0), ("b)", -2.0), (".x", math.log(0.9)))), draft)
    assert going is not None and abs(going[-1][1] - math.log(0.1)) < 1e-9
    # A backend that ignored the forced text: no score.
    assert _draft_logprobs(_gen((("zz", -1.0), ("", -0.1))), draft) is None
    assert _draft_logprobs(None, draft) is None


# -- the service -------------------------------------------------------------------------------


class ForcingBackend(FakeBackend):
    """One token per character with chosen log-probabilities; honours ``forced`` like llama
    (the forced text is reported as generated, then one free token: the end)."""

    forces_tokens = True

    def __init__(
        self, answer: Callable[[str], str], lp: float, forced_lp: float, end_lp: float = -0.01
    ) -> None:
        super().__init__(answer)
        self.lp, self.forced_lp, self.end_lp = lp, forced_lp, end_lp
        self.requests: list[GenerationRequest] = []

    def generate(self, req: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        self.requests.append(req)
        if req.forced:
            lps = [(ch, self.forced_lp) for ch in req.forced]
        else:
            lps = [(ch, self.lp) for ch in self.answer(req.prompt)]
        lps.append(("", self.end_lp))
        text = "".join(t for t, _ in lps)
        return Generation(
            text, len(req.prompt), 0, len(lps), False, "stop", 0.001, logprobs=tuple(lps)
        )


async def _ask(
    backend: FakeBackend, src: str, threshold: float = 0.3
) -> tuple[list[str], GhostOutcome, GhostService]:
    s = Settings()
    inline = dataclasses.replace(s.inline, mode="line", min_confidence=threshold)
    service = GhostService(dataclasses.replace(s, inline=inline), backend=backend)
    service.gate.repair = False
    service.start()
    assert await service.wait_loaded(5)
    text, offset = _cut(src)
    spec = spec_for("python")
    tree = parse_text(spec, text) if spec is not None else None
    doc = ParsedDocument("file:///w/p.py", "/w/p.py", "python", spec, text, 1, tree)
    ctx = build_context(spec, text, offset, tree)
    out = GhostOutcome()
    shown = await service.inline(doc, offset, ctx, CancelToken(), outcome=out)
    return [s.text for s in shown], out, service


async def test_a_draft_more_confident_than_the_model_is_shown() -> None:
    backend = ForcingBackend(lambda _p: " * 2)", lp=-2.0, forced_lp=-0.2)
    shown, out, service = await _ask(backend, SRC)
    assert shown == [", self.y + dy)"]
    assert out.draft is not None and out.draft["shown"]
    assert out.confidence is not None and out.confidence["source"] == "draft"
    assert [r.forced for r in backend.requests] == ["", ", self.y + dy)"]
    gate = service.stats()["inline"]["gate"]
    assert gate["drafts"] == 1 and gate["drafts_shown"] == 1
    service.close()


async def test_the_models_own_suggestion_wins_when_more_confident() -> None:
    backend = ForcingBackend(lambda _p: " * 2)", lp=-0.001, forced_lp=-5.0)
    shown, out, service = await _ask(backend, SRC)
    assert shown == [" * 2)"]
    assert out.draft is not None and not out.draft["shown"]
    assert "more confident" in out.draft["result"]
    service.close()


async def test_a_draft_below_the_gate_is_not_shown() -> None:
    backend = ForcingBackend(lambda _p: " * 2)", lp=-3.0, forced_lp=-8.0)
    shown, out, service = await _ask(backend, SRC, threshold=0.9)
    assert shown == []
    assert out.draft is not None and "below the gate" in out.draft["result"]
    service.close()


async def test_a_backend_that_cannot_force_sends_no_draft() -> None:
    backend = ForcingBackend(lambda _p: " * 2)", lp=-3.0, forced_lp=-0.1)
    backend.forces_tokens = False
    shown, out, service = await _ask(backend, SRC, threshold=0.01)
    assert shown == []  # the model's own is gated, the draft cannot be scored
    assert len(backend.requests) == 1 and not backend.requests[0].forced
    assert out.draft is not None and out.draft["result"] == "the backend cannot force tokens"
    service.close()


async def test_drafts_off_and_block_mode_leave_the_path_alone() -> None:
    backend = ForcingBackend(lambda _p: " * 2)", lp=-2.0, forced_lp=-0.2)
    s = Settings()
    inline = dataclasses.replace(s.inline, mode="line", min_confidence=0.3)
    service = GhostService(dataclasses.replace(s, inline=inline), backend=backend)
    service.drafts = False
    service.start()
    assert await service.wait_loaded(5)
    text, offset = _cut(SRC)
    spec = spec_for("python")
    tree = parse_text(spec, text) if spec is not None else None
    doc = ParsedDocument("file:///w/p.py", "/w/p.py", "python", spec, text, 1, tree)
    out = GhostOutcome()
    await service.inline(doc, offset, build_context(spec, text, offset, tree), outcome=out)
    assert out.draft is None and all(not r.forced for r in backend.requests)
    service.close()
