"""The prompt budget: the context less the generation, capped by the setting, else by what the
model can evaluate in reasonable time on this hardware, else 2048."""

from __future__ import annotations

import dataclasses

import pytest
from fake_backend import FakeBackend

from glm_lsp.config import Settings
from glm_lsp.ghost.request import prompt_budget


class _SlowCpuModel(FakeBackend):
    def prompt_cap(self) -> int | None:
        return 512


def _settings(prompt_tokens: int = 0, context_size: int = 4096) -> Settings:
    s = Settings()
    inline = dataclasses.replace(s.inline, prompt_tokens=prompt_tokens, max_tokens=64)
    model = dataclasses.replace(s.model, context_size=context_size)
    return dataclasses.replace(s, inline=inline, model=model)


@pytest.mark.parametrize(
    ("backend", "prompt_tokens", "context", "expected"),
    [
        (FakeBackend(), 0, 4096, 2048),  # GPU or tiny model: the default cap
        (_SlowCpuModel(), 0, 4096, 512),  # a big model on the CPU: its own cap
        (_SlowCpuModel(), 1500, 4096, 1500),  # the setting wins
        (FakeBackend(), 9000, 4096, 4096 - 64 - 64),  # never past the context
        (None, 0, 1024, 1024 - 64 - 64),
    ],
)
def test_prompt_budget(
    backend: FakeBackend | None, prompt_tokens: int, context: int, expected: int
) -> None:
    assert prompt_budget(_settings(prompt_tokens, context), backend).total == expected
