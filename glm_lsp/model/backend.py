"""The model backend contract: what the worker and the prompt builder may rely on.

Backends are synchronous and single-threaded on purpose: ``llama_cpp.Llama`` is not thread-safe,
so ``ModelWorker`` owns one backend on one thread and every other part talks to the worker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from glm_lsp.model.templates import Template


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message is for the user (what is wrong, what to do)."""


class ModelRequestError(RuntimeError):
    """A generation failed for a reason other than cancellation (server down, bad answer...)."""


class CancelToken:
    """A flag shared between the requester and the generating thread.

    Checked once per generated token and between prefill chunks (and, for llama.cpp, inside
    ``llama_decode`` through the abort callback), so cancelling costs at most one step.
    """

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass
class GenerationRequest:
    """One completion request.

    ``prompt`` is the full prompt text, special tokens written out (``[gMASK]<sop>...``); backends
    tokenize it with special tokens enabled. ``stop_ids`` stop on token ids (control tokens decode
    to empty text, so string stops never see them); empty means the model's end-of-generation
    set. ``stop_strings`` cut the decoded text.
    ``segments`` (optional, from ``Template.segments``) lets a local backend tokenize user code
    without special tokens when it happens to spell one (``"<|user|>"`` in a string literal).
    ``min_logprob`` (early stop, from the confidence gate): stop as soon as the summed token
    log-probability of the first generated line falls below it, because the suggestion could
    no longer pass the gate (finish reason ``"low_confidence"``). ``ban_first_ids``: token ids
    the first generated token may not be (repair by regeneration; backends that cannot ban
    ignore it). ``forced``: text the generation must start with (a context draft the model is
    asked to judge, ``ghost/drafts.py``): its tokens are fed instead of sampled and reported in
    ``text`` and ``logprobs`` like generated ones, so the draft is scored by the model's own
    probabilities; only backends with ``forces_tokens = True`` honour it (llama).
    """

    prompt: str
    max_tokens: int
    stop_ids: tuple[int, ...] = ()
    stop_strings: tuple[str, ...] = ()
    temperature: float = 0.0
    segments: tuple[tuple[str, bool], ...] = ()
    min_logprob: float | None = None
    ban_first_ids: tuple[int, ...] = ()
    forced: str = ""


TokenLogprob = tuple[str, float]
"""One generated token: its text and its log-probability under the model (before sampling)."""


@dataclass
class Generation:
    """The outcome of one request; ``finish_reason``: "stop", "length", "cancelled" or
    "low_confidence" (early stop, see ``GenerationRequest.min_logprob``).

    ``logprobs``: one entry per generated token, plus the token that ended the generation when
    a stop id did (its text is ``""``: how sure the model was that the suggestion ends there);
    ``None`` when the backend cannot say (a remote server without ``logprobs``).
    """

    text: str
    prompt_tokens: int
    prompt_tokens_reused: int
    generated_tokens: int
    cancelled: bool
    finish_reason: str
    elapsed_s: float
    token_ids: tuple[int, ...] = ()
    prefill_s: float = 0.0
    """Of ``elapsed_s``, the time until the first generated token (prompt evaluation; for a
    remote server, the time to the first byte). The router learns each model's speeds from it."""
    logprobs: tuple[TokenLogprob, ...] | None = None

    @property
    def prompt_tokens_evaluated(self) -> int:
        return self.prompt_tokens - self.prompt_tokens_reused


@runtime_checkable
class ModelBackend(Protocol):
    """What every backend offers; ``load`` may be slow and raises ``ModelLoadError``."""

    name: str
    template: Template | None
    """The prompt format, once loaded (``None``: the caller's default, CodeGeeX4's)."""
    n_ctx_train: int
    """The context length the model was trained on; 0 when unknown."""

    @property
    def loaded(self) -> bool: ...

    def default_stop_ids(self) -> tuple[int, ...]:
        """Token ids that end a generation when a request names none; safe from any thread."""
        ...

    def prompt_cap(self) -> int | None:
        """The most prompt tokens worth evaluating on this hardware (``None``: no limit of its
        own). A large model on the CPU takes minutes for a long prompt."""
        ...

    def info(self) -> dict[str, Any]: ...

    def load(self) -> None: ...

    def generate(self, req: GenerationRequest, cancel: CancelToken | None = None) -> Generation: ...

    def tokenize(self, text: str) -> list[int]: ...

    def close(self) -> None: ...


def cut_at_stop_strings(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """Cut ``text`` before the earliest stop string; says whether one was found."""
    cut = len(text)
    for stop in stops:
        if not stop:
            continue
        at = text.find(stop)
        if 0 <= at < cut:
            cut = at
    return text[:cut], cut < len(text)
