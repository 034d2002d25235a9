"""The confidence gate: show a suggestion only when it is likely to be kept.

Why: noise on every keystroke is worse than silence. Measured on held-out code, the embedded
model's rest-of-line suggestions are exactly right ~0.5 % of the time ungated; its most confident
ones are right far more often (README, "Benchmarks"). So every suggestion is scored
(``confidence.py``) and shown only at or above a threshold: ``inline.minConfidence``, a number,
or ``"auto"``: the threshold stored with the model (``model/calibration.py``: a calibration file
from ``glm-lsp models calibrate``, else the catalog entry); no stored threshold, no gate.

The gate also

- arms the early stop: the request carries ``min_logprob = ln(threshold)``, and the backend
  stops decoding once the first line's log-probability is below it (every factor of the score
  is ≤ 1, so the suggestion could not pass any more);
- repairs a rejected suggestion by regenerating once (``repair.py``), then judges the result;
- falls back to showing when the backend gives no log-probabilities (a remote server without
  ``logprobs``), and says so in the outcome and in stats.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from glm_lsp.ghost.confidence import FACTORS, Confidence, score
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.postprocess import PostStep, clean
from glm_lsp.ghost.repair import RepairPlan, plan
from glm_lsp.ghost.request import PreparedRequest
from glm_lsp.ghost.results import ResultCache
from glm_lsp.model.backend import Generation, TokenLogprob
from glm_lsp.model.calibration import stored_threshold

Generate = Callable[[PreparedRequest, GhostOutcome], Awaitable[Generation | None]]
Logprobs = tuple[TokenLogprob, ...] | None


def resolve_threshold(setting: float | str, model: Path | None) -> tuple[float | None, str]:
    """``(threshold or None, where it came from)`` for ``inline.minConfidence``."""
    if not isinstance(setting, str):
        value = float(setting)
        return (value if value > 0 else None), "inline.minConfidence"
    stored = stored_threshold(model)
    if stored is None:
        return None, "none stored for this model (glm-lsp models calibrate): not gated"
    return stored


def early_stop_logprob(threshold: float | None) -> float | None:
    """The ``GenerationRequest.min_logprob`` that stops a hopeless generation."""
    return math.log(threshold) if threshold is not None and threshold > 0 else None


class Gate:
    """One per ``GhostService``; counters feed ``glm-lsp.stats``."""

    def __init__(self, setting: float | str) -> None:
        self.setting = setting
        self.repair = True
        """Regenerate rejected suggestions; plumbing tests and benchmarks that count one
        generation per request turn it off."""
        self._resolved: dict[Path | None, tuple[float | None, str]] = {}
        self.counts = {
            "scored": 0,
            "shown": 0,
            "gated": 0,
            "early_stops": 0,
            "no_logprobs": 0,
            "repairs_tried": 0,
            "repairs_shown": 0,
            "drafts": 0,
            "drafts_shown": 0,
        }

    def threshold(self, model: Path | None) -> tuple[float | None, str]:
        if model not in self._resolved:
            self._resolved[model] = resolve_threshold(self.setting, model)
        return self._resolved[model]

    def arm(self, prep: PreparedRequest, model: Path | None) -> PreparedRequest:
        """``prep`` with the early stop set (the cache key is unchanged: a generation that
        stops early is never cached, one that finishes is the same text)."""
        stop = early_stop_logprob(self.threshold(model)[0])
        if stop is None:
            return prep
        return replace(prep, request=replace(prep.request, min_logprob=stop))

    # -- log-probabilities next to the result cache ------------------------------------------

    @staticmethod
    def remember(cache: ResultCache, key: str, logprobs: Logprobs) -> None:
        """Keep a generation's log-probabilities with its cached text: a cache hit must be
        judged like the generation it replays."""
        cache.put("lp:" + key, json.dumps(logprobs))

    @staticmethod
    def recall(cache: ResultCache, key: str) -> Logprobs:
        found = cache.get("lp:" + key, count=False)
        if found is None:
            return None
        data = json.loads(found)
        return None if data is None else tuple((str(t), float(lp)) for t, lp in data)

    # -- judging -----------------------------------------------------------------------------

    async def review(
        self,
        text: str | None,
        raw: str,
        logprobs: Logprobs,
        prep: PreparedRequest,
        out: GhostOutcome,
        gen: Generation | None,
        model: Path | None,
        generate: Generate,
    ) -> str | None:
        """The text to show after the gate (and a repair), or ``None``; ``out`` says why."""
        threshold, source = self.threshold(model)
        if out.finish_reason == "low_confidence" and not out.cache_hit:
            self.counts["early_stops"] += 1
            out.gated = True
            out.confidence = {
                **_bound(logprobs),
                "threshold": threshold,
                "threshold_source": source,
            }
            out.none(f"stopped early: below the gate's threshold {threshold:g} ({source})")
            return None
        forced = False
        if text is None:
            fix = plan(out.steps, prep.post, gen, regenerated=False) if self.repair else None
            if fix is None:
                return None
            text, raw, logprobs = await self._repair(fix, prep, out, generate, threshold)
            if text is None:
                return None
            forced = bool(fix.forced)
        steps = out.steps if out.repair is None else out.repair["steps"]
        conf = score(
            logprobs,
            raw,
            text,
            steps,
            block=prep.post.block,
            line_prefix=prep.post.line_prefix,
            forced=forced,
        )
        return self._judge(conf, text, threshold, source, out)

    def _judge(
        self, conf: Confidence, text: str, threshold: float | None, source: str, out: GhostOutcome
    ) -> str | None:
        self.counts["scored"] += 1
        out.confidence = {**conf.as_dict(), "threshold": threshold, "threshold_source": source}
        if conf.score is None:
            self.counts["no_logprobs"] += 1
        elif threshold is not None and conf.score < threshold:
            self.counts["gated"] += 1
            out.gated = True
            out.none(f"confidence {conf.score:.3g} below the gate's {threshold:g} ({source})")
            return None
        self.counts["shown"] += 1
        if out.repair is not None:
            self.counts["repairs_shown"] += 1
            out.repair["shown"] = True
        out.text = text
        out.why_none = None
        return text

    async def _repair(
        self,
        fix: RepairPlan,
        prep: PreparedRequest,
        out: GhostOutcome,
        generate: Generate,
        threshold: float | None,
    ) -> tuple[str | None, str, Logprobs]:
        """Regenerate once under ``fix`` (early stop armed for the forced factor); the
        post-processed text, the raw text and its log-probabilities."""
        self.counts["repairs_tried"] += 1
        steps: list[PostStep] = []
        record: dict[str, Any] = {"why": fix.why, "forced": fix.forced, "ban": list(fix.ban)}
        record.update(steps=steps, shown=False)
        out.repair = record
        scratch = GhostOutcome(channel=out.channel)
        again = fix.request(prep)
        if threshold is not None:
            bound = threshold / (FACTORS["forced"] if fix.forced else 1.0)
            stop = early_stop_logprob(bound)
            again = replace(again, request=replace(again.request, min_logprob=stop))
        gen = await generate(again, scratch)
        if gen is None or gen.finish_reason not in ("stop", "length"):
            record["result"] = "no generation" if gen is None else gen.finish_reason
            return None, "", None
        raw = fix.forced + gen.text
        lps = gen.logprobs
        if lps is not None and fix.forced:
            lps = ((fix.forced, 0.0), *lps)  # forced text: scored by the "forced" factor
        loop = asyncio.get_running_loop()
        text = await loop.run_in_executor(None, clean, raw, prep.post, steps)
        record.update(raw=raw, text=text, generated_tokens=gen.generated_tokens)
        if text is None:
            out.why_none = f"rejected, and the repair ({fix.why}) was rejected too"
        return text, raw, lps

    def stats(self, model: Path | None) -> dict[str, Any]:
        threshold, source = self.threshold(model)
        c = self.counts
        out: dict[str, Any] = {"threshold": threshold, "source": source, **c}
        if c["no_logprobs"]:
            out["note"] = "the backend gave no log-probabilities: those suggestions were shown"
        return out


def _bound(logprobs: Logprobs) -> dict[str, Any]:
    """What an early-stopped generation's confidence is known to be: at most the probability of
    the tokens decoded so far."""
    lps = [lp for _, lp in logprobs or ()]
    total = sum(lps)
    return Confidence(
        math.exp(total),
        tokens=len(lps),
        logprob=total,
        mean_logprob=total / len(lps) if lps else 0.0,
        min_logprob=min(lps, default=0.0),
        note="stopped early: an upper bound, the probability of the tokens decoded so far",
    ).as_dict()
