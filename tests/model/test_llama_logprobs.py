"""LlamaBackend's token log-probabilities, early stop and banned first token, on the embedded
model (real weights: its distributions are far from uniform)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from glm_lsp.model.backend import GenerationRequest
from glm_lsp.model.llama import LlamaBackend
from glm_lsp.model.templates import CODEGEEX4, FimRequest

pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.slow

MODEL = Path(__file__).resolve().parents[2] / "glm_lsp/data/models/glm-code-tiny-q8_0.gguf"


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaBackend]:
    b = LlamaBackend(MODEL, n_threads=1)
    b.load()
    yield b
    b.close()


def _request(backend: LlamaBackend, prefix: str) -> GenerationRequest:
    prompt = CODEGEEX4.render(
        FimRequest(prefix=prefix, suffix="\n", path="m.py", language="Python")
    )
    return GenerationRequest(
        prompt=prompt, max_tokens=16, stop_ids=backend.default_stop_ids(), stop_strings=("\n",)
    )


def test_logprobs_are_the_models_and_cover_every_token(backend: LlamaBackend) -> None:
    gen = backend.generate(_request(backend, "class A:\n    def __init__(self"))
    assert gen.logprobs is not None
    assert len(gen.logprobs) >= gen.generated_tokens  # plus the end token when one stopped it
    uniform = -math.log(8192)
    assert all(lp <= 0.0 for _, lp in gen.logprobs)
    assert max(lp for _, lp in gen.logprobs) > uniform + 3  # far from uniform: real logits
    pieces = "".join(t for t, _ in gen.logprobs[: gen.generated_tokens])
    assert pieces.startswith(gen.text)


def test_early_stop_and_banned_first_token(backend: LlamaBackend) -> None:
    req = _request(backend, "import os\n\ndef main(argv):\n    for arg in ")
    full = backend.generate(req)
    assert full.logprobs and full.token_ids
    stopped = backend.generate(dataclasses.replace(req, min_logprob=full.logprobs[0][1] + 0.01))
    assert stopped.finish_reason == "low_confidence" and stopped.generated_tokens == 1
    banned = backend.generate(dataclasses.replace(req, ban_first_ids=(full.token_ids[0],)))
    assert banned.token_ids and banned.token_ids[0] != full.token_ids[0]
