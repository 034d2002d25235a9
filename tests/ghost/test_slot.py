"""A model slot learns its speeds from the generations it runs and predicts a request's latency
from them: only the prompt tokens its KV cache would not cover, and the tokens it usually
generates."""

from __future__ import annotations

from glm_lsp.config import Settings
from glm_lsp.ghost.slot import ModelSlot
from glm_lsp.model.backend import Generation


def _gen(prompt: int, reused: int, generated: int, prefill_s: float, total_s: float) -> Generation:
    return Generation("x", prompt, reused, generated, False, "stop", total_s, prefill_s=prefill_s)


def test_unmeasured_model_has_no_prediction() -> None:
    assert ModelSlot("m", Settings()).predict_ms("abc", 16) is None


def test_prediction_counts_only_what_the_kv_cache_would_not_cover() -> None:
    slot = ModelSlot("m", Settings())  # no tokenizer yet: the chars-per-token estimate
    prompt = "a" * 300
    slot.learn(_gen(100, 0, 10, prefill_s=1.0, total_s=2.0), prompt)  # 100 t/s, 10 t/s
    assert slot.prefill_tps == 100.0 and slot.decode_tps == 10.0 and slot.generated == 10.0
    same = slot.predict_ms(prompt, 16)
    assert same is not None and abs(same - 1000.0) < 1e-6  # 10 tokens at 10 t/s, no prefill
    moved = slot.predict_ms("b" * 300, 16)  # nothing in common: all 101 estimated tokens new
    assert moved is not None and abs(moved - (1000.0 * 101 / 100 + 1000.0)) < 1e-6
    assert slot.predict_ms(prompt, 4) == 400.0  # capped by this request's max_tokens


def test_remote_generations_learn_the_whole_request_time() -> None:
    slot = ModelSlot("team", Settings())
    slot.learn(_gen(100, 0, 10, prefill_s=0.0, total_s=0.5), "p")
    assert slot.predict_ms("p", 16) == 500.0
