"""A ModelBackend for tests: one token per character, answers from a rule, optional delay,
records prompts and the threads it ran on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from glm_lsp.model.backend import (
    CancelToken,
    Generation,
    GenerationRequest,
    ModelLoadError,
    cut_at_stop_strings,
)


class FakeBackend:
    """Implements the ModelBackend protocol; one token per character, answers from a rule."""

    name = "fake"
    template = None
    n_ctx_train = 0

    def __init__(
        self,
        answer: Callable[[str], str] = lambda prompt: "x + 1",
        token_s: float = 0.0,
        fail: str | None = None,
    ) -> None:
        self.answer = answer
        self.token_s = token_s
        self.fail = fail
        self._loaded = False
        self.prompts: list[str] = []
        self.completed = 0
        self.last: str = ""
        self.threads: set[str] = set()
        self.started = threading.Event()  # a generation began
        self.stopped = threading.Event()  # a generation returned cancelled

    @property
    def loaded(self) -> bool:
        return self._loaded

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "path": "fake.gguf", "gpu_layers": 0}

    def load(self) -> None:
        if self.fail:
            raise ModelLoadError(self.fail)
        self._loaded = True

    def tokenize(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def default_stop_ids(self) -> tuple[int, ...]:
        return ()

    def prompt_cap(self) -> int | None:
        return None

    def generate(self, req: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        self.threads.add(threading.current_thread().name)
        self.started.set()
        self.prompts.append(req.prompt)
        start = time.perf_counter()
        reused = 0
        while reused < min(len(self.last), len(req.prompt)) and (
            self.last[reused] == req.prompt[reused]
        ):
            reused += 1
        self.last = req.prompt
        full = self.answer(req.prompt)
        out = ""
        for ch in full[: req.max_tokens]:
            if cancel is not None and cancel.cancelled:
                self.stopped.set()
                return Generation(out, len(req.prompt), reused, len(out), True, "cancelled", 0.0)
            time.sleep(self.token_s)
            out += ch
        text, stopped = cut_at_stop_strings(out, req.stop_strings)
        self.completed += 1
        elapsed = time.perf_counter() - start
        reason = "stop" if stopped or len(full) <= req.max_tokens else "length"
        return Generation(text, len(req.prompt), reused, len(out), False, reason, elapsed)

    def close(self) -> None:
        self._loaded = False
