"""How likely a ghost-text suggestion is to be exactly right: one number, explainable.

The score is the model's own probability of the suggestion it wrote, read from the token
log-probabilities of the generation (``Generation.logprobs``):

- the tokens of the *kept* text (after post-processing) and the token that followed it, which is
  how sure the model was that the suggestion ends there (the newline, or the end token);
- LINE mode: ``exp(sum)`` over them, the joint probability of exactly this rest of the line;
- BLOCK mode: the first line's joint probability times the geometric mean per-token probability
  of the other lines (a long block is not punished exponentially for its length);
- times a factor for each thing post-processing or repair did that the model did not choose:
  ``member`` (an identifier swapped for a known member), ``forced`` (a regenerated suggestion
  whose start was forced). Cutting and bracket balancing only drop text, so they cost nothing;
- times ``punctuation`` when the suggestion has no letter or digit (``:``, ``)``, ``):``): it
  saves a keystroke or two, and the model is over-sure that a line ends right there (on the
  first held-out run the most confident suggestions were such early ends, almost all wrong).

The joint probability is what "exact match" needs (every token right), and it needs no tuning;
the gate's threshold is then calibrated per model (``calibrate.py``). Context features (mode,
length, the cursor's place in the line) are recorded with the score for the explanation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from glm_lsp.ghost.postprocess import PostStep
from glm_lsp.model.backend import TokenLogprob

FACTORS = {"member": 0.5, "forced": 0.5, "punctuation": 0.3}
"""Multipliers for what the model did not choose itself (see the module doc)."""


@dataclass(frozen=True)
class Confidence:
    score: float | None
    """0..1; ``None`` when the backend gave no log-probabilities (the gate cannot judge)."""
    tokens: int = 0
    logprob: float = 0.0
    """Sum of the scored tokens' log-probabilities (the first line's in BLOCK mode)."""
    mean_logprob: float = 0.0
    min_logprob: float = 0.0
    factors: tuple[tuple[str, float], ...] = ()
    features: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": None if self.score is None else round(self.score, 4),
            "tokens": self.tokens,
            "logprob": round(self.logprob, 3),
            "mean_logprob": round(self.mean_logprob, 3),
            "min_logprob": round(self.min_logprob, 3),
            "factors": dict(self.factors),
            "features": self.features,
            **({"note": self.note} if self.note else {}),
        }


def kept_span(raw: str, text: str, line_prefix: str) -> int:
    """How many characters of ``raw`` the post-processed ``text`` covers (from its start)."""
    lead = 0
    if line_prefix.endswith((" ", "\t")):
        lead = len(raw) - len(raw.lstrip(" \t"))  # trim_leading_space removed these
    return min(len(raw), lead + len(text))


def score(
    logprobs: Sequence[TokenLogprob] | None,
    raw: str,
    text: str,
    steps: Sequence[PostStep],
    *,
    block: bool,
    line_prefix: str,
    forced: bool = False,
) -> Confidence:
    """The confidence of ``text``, post-processed from ``raw`` (see the module doc)."""
    features = {
        "mode": "block" if block else "line",
        "chars": len(text),
        "line_start": not line_prefix.strip(),
    }
    if logprobs is None:
        note = "the backend gave no token log-probabilities: shown without a gate"
        return Confidence(None, features=features, note=note)
    span = kept_span(raw, text, line_prefix)
    first: list[float] = []
    rest: list[float] = []
    at = 0
    newline = raw.find("\n", 0, span)
    for piece, lp in logprobs:
        if at >= span:
            (rest if rest else first).append(lp)  # the token after the kept text
            break
        (first if newline < 0 or at <= newline else rest).append(lp)
        at += len(piece)
    scored = first + rest
    if not scored or not text.strip():
        return Confidence(0.0, features=features, note="nothing scored")
    total = sum(first)
    value = math.exp(total)
    if rest:
        value *= math.exp(sum(rest) / len(rest))
    factors = []
    if any(s.rule == "member" and s.after is not None for s in steps):
        factors.append(("member", FACTORS["member"]))
    if forced:
        factors.append(("forced", FACTORS["forced"]))
    if not any(ch.isalnum() for ch in text):
        factors.append(("punctuation", FACTORS["punctuation"]))
    for _, f in factors:
        value *= f
    return Confidence(
        value,
        tokens=len(scored),
        logprob=total,
        mean_logprob=sum(scored) / len(scored),
        min_logprob=min(scored),
        factors=tuple(factors),
        features=features,
    )
