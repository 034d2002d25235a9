"""Token log-probabilities of a generation, and the early stop they allow.

Why here, in the engine: the confidence gate (``ghost/gate.py``) scores a suggestion from how
probable the model found each token it generated. llama.cpp does not hand those out cheaply
(``logprobs=`` needs ``logits_all=True``, huge with GLM's 151k vocabulary), so the local backend
reads the logits row of each sampled token while it samples (see ``LlamaScorer``); a remote
server gives them through the OpenAI ``logprobs`` field (``openai_logprobs``). Both feed a
:class:`FirstLine` running sum, which stops a generation once the gate cannot be passed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from glm_lsp.model.backend import TokenLogprob


class FirstLine:
    """Running sum of the log-probabilities of the first generated line (its newline token
    included): the quantity the gate's score is bounded by, so once it is below
    ``min_logprob`` the suggestion is hopeless and decoding it further is waste."""

    __slots__ = ("done", "min_logprob", "total")

    def __init__(self, min_logprob: float | None) -> None:
        self.min_logprob = min_logprob
        self.total = 0.0
        self.done = False  # the first line is complete: the bound no longer moves

    def add(self, text: str, logprob: float) -> bool:
        """Count one token; True when the generation should stop now (hopeless)."""
        if self.done:
            return False
        self.total += logprob
        if "\n" in text:
            self.done = True
        return self.min_logprob is not None and self.total < self.min_logprob


def log_softmax_at(row: Any, token: int) -> float:
    """``log p(token)`` from one row of raw logits (float32 array), numerically stable."""
    top = float(np.max(row))
    return float(row[token]) - top - math.log(float(np.sum(np.exp(row - top))))


class LlamaScorer:
    """Reads the logits row a token was sampled from, inside ``Llama.generate``.

    Must be called when ``generate`` yields the token and before it is resumed: that row (the
    last one of the context) is the distribution the token was drawn from. ``Llama.scores`` is
    not filled without ``logits_all`` (MODEL_NOTES.md), hence the raw ``llama_get_logits_ith``.
    """

    def __init__(self, llm: Any) -> None:
        import llama_cpp

        self._llm = llm
        self._get = llama_cpp.llama_get_logits_ith
        self._n_vocab = int(llm.n_vocab())

    def logprob(self, token: int) -> float:
        ptr = self._get(self._llm._ctx.ctx, -1)
        row = np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))
        return log_softmax_at(row, token)

    def piece(self, token: int) -> str:
        return bytes(self._llm.detokenize([token], special=False)).decode("utf-8", "replace")


def ban_first(prompt_len: int, banned: tuple[int, ...]) -> Any:
    """A llama-cpp ``logits_processor`` that forbids ``banned`` as the first generated token
    (repair by regeneration: the first try started with it and was rejected)."""
    ids = np.asarray(banned, dtype=np.int64)

    def process(input_ids: Any, scores: Any) -> Any:
        if len(input_ids) == prompt_len:
            scores[ids[ids < len(scores)]] = -np.inf
        return scores

    return process


def force_tokens(prompt_len: int, forced: list[int]) -> Any:
    """A llama-cpp ``logits_processor`` that makes the first generated tokens ``forced`` (a
    context draft, ``GenerationRequest.forced``): every other token's logit is set to -inf, so
    greedy sampling takes the forced one. The processor works on the sampler's copy of the
    logits, so ``LlamaScorer`` still reads the model's own probability of each forced token."""

    def process(input_ids: Any, scores: Any) -> Any:
        i = len(input_ids) - prompt_len
        if 0 <= i < len(forced) and forced[i] < len(scores):
            keep = scores[forced[i]]
            scores[:] = -np.inf
            scores[forced[i]] = keep
        return scores

    return process


def steering(prompt_len: int, banned: tuple[int, ...], forced: list[int]) -> list[Any] | None:
    """The ``logits_processor`` list of one generation: a banned first token (repair), forced
    first tokens (a draft), or neither (``None``: sampling untouched)."""
    out = [ban_first(prompt_len, banned)] if banned else []
    if forced:
        out.append(force_tokens(prompt_len, forced))
    return out or None


def openai_logprobs(choice: Mapping[str, Any]) -> list[TokenLogprob] | None:
    """The tokens and log-probabilities of one OpenAI completions ``choice`` (a stream chunk or
    the whole answer); ``None`` when the server sent none."""
    lp = choice.get("logprobs")
    if not isinstance(lp, Mapping):
        return None
    tokens, values = lp.get("tokens"), lp.get("token_logprobs")
    if isinstance(tokens, list) and isinstance(values, list) and len(tokens) == len(values):
        return [
            (str(t), float(v) if v is not None else 0.0)
            for t, v in zip(tokens, values, strict=True)
        ]
    content = lp.get("content")  # the chat-style shape some servers also use for completions
    if isinstance(content, list):
        out: list[TokenLogprob] = []
        for item in content:
            if isinstance(item, Mapping) and "logprob" in item:
                out.append((str(item.get("token", "")), float(item["logprob"])))
        return out
    return None
