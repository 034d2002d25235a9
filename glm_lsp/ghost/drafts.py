"""Context drafts: the rest of the line, found already written elsewhere in the same document.

Why: a small model is rarely exactly right about the rest of a line, but code repeats itself: a
call pattern, an argument list, ``self.x = x``, the same ``raise`` twice. When the code before
the cursor on this line also occurs elsewhere in the document, whatever followed it there (to
the end of that line) is a *draft* for the rest of this one — prompt-lookup decoding, done by
text search, no model. The model then judges the draft (its probability of exactly these
tokens, one forced-decoding pass) and the confidence gate decides, as for its own suggestions.

Only the document's own text is searched (it is in the prompt already; secret files never get
this far), and never the cursor's own line.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from glm_lsp.ghost.confidence import score
from glm_lsp.ghost.gate import Gate
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.postprocess import PostStep, clean
from glm_lsp.ghost.request import PreparedRequest
from glm_lsp.ghost.results import cache_key
from glm_lsp.ghost.secrets import redact
from glm_lsp.ghost.slot import ModelSlot
from glm_lsp.model.backend import Generation, TokenLogprob

Generate = Callable[[PreparedRequest, GhostOutcome], Awaitable[Generation | None]]


@dataclass(frozen=True)
class Match:
    """One place where the code before the cursor occurs again."""

    at: int
    """Offset of the match's end in the document (where its continuation starts)."""
    length: int
    """How many characters before the cursor agree (back to the line's first non-space)."""
    full: bool
    """The match covers all the code before the cursor, and on the other line that code too
    starts at the line's first non-space character: the same line start."""
    continuation: str
    """What follows the match up to the end of its line, trailing space stripped."""


@dataclass(frozen=True)
class Draft:
    """The continuation the matches voted for, with the evidence for it."""

    text: str
    agree: int
    """Matches with this continuation."""
    voters: int
    """Matches that voted (long enough; the longest ones when the rule says so)."""
    length: int
    """The longest agreeing match, in characters before the cursor."""
    full: bool
    """An agreeing match covers all the code before the cursor, from the same line start."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "agree": self.agree,
            "voters": self.voters,
            "length": self.length,
            "full": self.full,
        }


def find_matches(text: str, offset: int, min_chars: int = 3, limit: int = 10_000) -> list[Match]:
    """Every occurrence (up to ``limit``) of the last ``min_chars`` characters of code before the
    cursor, elsewhere in ``text``, extended backwards as far as it agrees."""
    start = text.rfind("\n", 0, offset) + 1
    code = text[start:offset].lstrip()
    if len(code) < min_chars:
        return []
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    key = code[-min_chars:]
    out: list[Match] = []
    i = text.find(key)
    while i >= 0 and len(out) < limit:
        if not start <= i < end:  # never the cursor's own line
            out.append(_match(text, code, i, len(key)))
        i = text.find(key, i + 1)
    return out


def _match(text: str, code: str, i: int, size: int) -> Match:
    a, b = i - 1, len(code) - size - 1
    while b >= 0 and a >= 0 and text[a] == code[b] and text[a] != "\n":
        a, b = a - 1, b - 1
    line_start = text.rfind("\n", 0, a + 1) + 1
    full = b < 0 and not text[line_start : a + 1].strip()
    eol = text.find("\n", i + size)
    eol = len(text) if eol < 0 else eol
    return Match(i + size, len(code) - 1 - b, full, text[i + size : eol].rstrip())


def vote(
    matches: Sequence[Match],
    min_len: int = 3,
    full: bool = False,
    min_agree: int = 1,
    min_share: float = 0.0,
    longest: bool = False,
) -> Draft | None:
    """The draft the matches agree on, or ``None``: among matches at least ``min_len`` long
    (``full`` ones only if asked; only the longest ones if ``longest``), the most frequent
    non-empty continuation, ties to the longest match; it needs ``min_agree`` matches and
    ``min_share`` of the voters."""
    voters = [m for m in matches if m.length >= min_len and (m.full or not full)]
    if longest and voters:
        top = max(m.length for m in voters)
        voters = [m for m in voters if m.length == top]
    if not voters:
        return None
    counts = Counter(m.continuation for m in voters)
    reach = Counter[str]()
    for m in voters:
        reach[m.continuation] = max(reach[m.continuation], m.length)
    best = max(counts, key=lambda c: (counts[c], reach[c]))
    if not best.strip() or counts[best] < min_agree or counts[best] < min_share * len(voters):
        return None
    full_match = any(m.full for m in voters if m.continuation == best)
    return Draft(best, counts[best], len(voters), reach[best], full_match)


RULE = {"min_len": 6, "min_share": 0.5, "longest": True}
"""The voting rule the service uses (chosen on the calibration half of the held-out stdlib,
``bench_drafts.py``: a match of at least 6 characters, only the longest matches vote, and the
winner needs half of their votes)."""


def find_draft(text: str, offset: int) -> Draft | None:
    """The draft for the rest of the line at ``offset`` under :data:`RULE`, or ``None``; a
    draft that holds anything secret-shaped (``secrets.redact`` would change the line) is
    never used: it would be sent to the model."""
    start = text.rfind("\n", 0, offset) + 1
    min_len = int(RULE["min_len"])
    matches = find_matches(text, offset, min_chars=min_len)
    draft = vote(matches, min_len, longest=bool(RULE["longest"]), min_share=RULE["min_share"])
    if draft is None:
        return None
    line = text[start:offset] + draft.text
    return draft if redact(line) == line else None


WEIGHTS = {"bias": -0.961, "logprob": 0.049, "log_agree": 1.949, "full": 1.098}
"""The draft's confidence: a logistic estimate of the chance it is exactly the rest of the line,
from the model's log-probability of it (forced decoding, scored like any suggestion: its tokens
and the line's end), the number of agreeing matches and whether a match starts the line alike.
Fitted on the calibration half of the held-out stdlib only (90 drafts at 300 positions, 32
exact; ``bench_confidence_gate.py --dump``): the vote carries most of the evidence, the tiny
model's probability a little (a mid-word cursor makes any continuation improbable to it). The
model's own suggestions are scored by their joint probability, which is the same kind of
number (the chance of being exactly right), so the gate compares and judges both alike."""


def draft_confidence(model_score: float, draft: Draft) -> float:
    """See :data:`WEIGHTS`."""
    w = WEIGHTS
    z = w["bias"] + w["logprob"] * math.log(max(model_score, 1e-30))
    z += w["log_agree"] * math.log(draft.agree) + w["full"] * float(draft.full)
    return 1.0 / (1.0 + math.exp(-z))


def draft_request(
    prep: PreparedRequest, draft: Draft, min_logprob: float | None
) -> PreparedRequest:
    """``prep`` with the draft forced as the start of the generation (its own cache key: it
    must not share the model's in-flight generation)."""
    req = replace(
        prep.request, forced=draft.text, max_tokens=1, min_logprob=min_logprob, ban_first_ids=()
    )
    key = cache_key(prep.key, "draft", req.prompt, {"forced": draft.text})
    return replace(prep, key=key, request=req)


async def with_draft(
    gate: Gate,
    slot: ModelSlot,
    text: str,
    offset: int,
    shown: str | None,
    prep: PreparedRequest,
    out: GhostOutcome,
) -> str | None:
    """The service's hook (LINE mode, after the gate judged the model's suggestion ``shown``):
    look for a draft at ``offset`` in the document ``text`` and let :func:`prefer_draft`
    choose. Nothing happens when the model was not asked (superseded, cancelled)."""
    if out.raw is None:
        return shown
    loop = asyncio.get_running_loop()
    draft = await loop.run_in_executor(None, find_draft, text, offset)
    if draft is None:
        return shown
    if out.repair is not None:
        model_text = out.repair.get("text")
    else:
        model_text = await loop.run_in_executor(None, clean, out.raw, prep.post, None)
    forces = bool(getattr(slot.backend, "forces_tokens", False))
    generate = slot.generate if forces else None
    return await prefer_draft(gate, draft, model_text, shown, prep, out, slot.model_path, generate)


async def prefer_draft(
    gate: Gate,
    draft: Draft,
    model_text: str | None,
    shown: str | None,
    prep: PreparedRequest,
    out: GhostOutcome,
    model: Path | None,
    generate: Generate | None,
) -> str | None:
    """The model's suggestion (``shown``, after the gate) or the draft, whichever has the
    higher confidence, judged by the same gate; ``out`` records the draft and its score.

    The draft is scored by one forced-decoding pass (``GenerationRequest.forced``: the prompt is
    the model's, so the KV cache is reused and only the draft's tokens are decoded) unless the
    model wrote exactly the draft itself. ``generate`` is ``None`` for a backend that cannot
    force tokens: then only a draft equal to the model's own suggestion counts."""
    threshold, source = gate.threshold(model)
    model_conf = out.confidence or {}
    model_score = model_conf.get("score")
    record: dict[str, Any] = {**draft.as_dict(), "shown": False}
    record.update(model_text=model_text, model_score=model_score)
    out.draft = record
    if out.confidence is not None and model_score is None:
        record["result"] = "no log-probabilities: the gate cannot compare"
        return shown
    gate.counts["drafts"] += 1
    early = out.finish_reason == "low_confidence"
    if model_text == draft.text and not early and model_score is not None:
        text, conf = draft.text, dict(model_conf)
        record["score"] = model_score
    else:
        if generate is None:
            record["result"] = "the backend cannot force tokens"
            return shown
        scratch = GhostOutcome(channel=out.channel)
        gen = await generate(draft_request(prep, draft, None), scratch)
        lps = _draft_logprobs(gen, draft.text)
        if lps is None:
            record["result"] = "no generation" if gen is None else "no forced log-probabilities"
            return shown
        steps: list[PostStep] = []
        loop = asyncio.get_running_loop()
        text_or_none = await loop.run_in_executor(None, clean, draft.text, prep.post, steps)
        if text_or_none is None:
            record["result"] = "post-processing rejected it"
            return shown
        text = text_or_none
        line_prefix = prep.post.line_prefix
        c = score(lps, draft.text, text, steps, block=False, line_prefix=line_prefix)
        conf = c.as_dict()
        record.update(score=c.score, logprob=c.logprob)
    combined = draft_confidence(float(record["score"]), draft)
    record["confidence"] = combined
    if model_score is not None and combined <= model_score:
        record["result"] = "the model's own suggestion is more confident"
        return shown
    if threshold is not None and combined < threshold:
        record["result"] = f"confidence {combined:.3g} below the gate's {threshold:g}"
        return shown
    gate.counts["drafts_shown"] += 1
    record.update(shown=True, result="shown")
    out.confidence = {
        **conf,
        "score": round(combined, 4),
        "source": "draft",
        "threshold": threshold,
        "threshold_source": source,
    }
    out.text, out.why_none, out.gated = text, None, False
    return text


def _draft_logprobs(gen: Generation | None, draft: str) -> tuple[TokenLogprob, ...] | None:
    """The forced tokens' log-probabilities and the line's end after them, as ``score`` reads
    them: ``("", lp)``. The pass decodes one free token after the draft: when it ends the line
    (a stop token, a newline) its probability is the end's; otherwise the model would go on,
    and ``1 - p(that token)`` bounds the end's probability from above."""
    if gen is None or gen.logprobs is None or gen.finish_reason not in ("stop", "length"):
        return None
    forced: list[TokenLogprob] = []
    at = 0
    rest = list(gen.logprobs)
    while rest and at < len(draft):
        piece, lp = rest.pop(0)
        forced.append((piece, lp))
        at += len(piece)
    if at < len(draft):
        return None  # the backend did not force it
    if not rest:
        return (*forced, ("", 0.0)) if gen.finish_reason == "stop" else None
    piece, lp = rest[0]
    if piece == "" or piece.startswith("\n"):
        return (*forced, ("", lp))
    return (*forced, ("", math.log(max(1e-12, 1.0 - math.exp(lp)))))
