"""The PyTorch GLM: the shape the issue allows, causal, and GLM's rotary embedding.

Why: ``glm.py`` must compute what llama.cpp's ``chatglm`` graph computes (checked end to end in
``test_export.py``); these are the properties that comparison cannot isolate — a future token
must never leak into a past position, the rotation must be relative, the checkpoint must
round-trip with the tied embedding.
"""

from __future__ import annotations

from pathlib import Path

import export
import pytest
import torch
import train
from glm import GLM, Config, apply_rope, rope_tables
from tiny_helpers import randomize

SMALL = Config(n_vocab=300, n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=96, n_ctx=64)


def _model(cfg: Config = SMALL, seed: int = 0) -> GLM:
    torch.manual_seed(seed)
    model = GLM(cfg)
    model.head.weight = model.embed.weight
    randomize(model, seed)
    return model.eval()


def test_default_config_is_within_the_issue_budget() -> None:
    model = GLM(Config())
    model.head.weight = model.embed.weight
    n = model.n_params()
    assert 5_000_000 < n <= 20_000_000
    assert Config().n_rot * 2 == Config().head_dim  # rotary on half of each head, as GLM-4


def test_untied_head_would_count_twice() -> None:
    """The tie is real: one tensor, not a copy (it halves the embedding parameters)."""
    tied = _model()
    untied = GLM(SMALL)
    assert tied.head.weight is tied.embed.weight
    assert untied.n_params() - tied.n_params() == SMALL.n_vocab * SMALL.n_embd


def test_causal_no_position_sees_the_future() -> None:
    model = _model()
    ids = torch.randint(0, SMALL.n_vocab, (1, 24), generator=torch.Generator().manual_seed(1))
    changed = ids.clone()
    changed[0, 15:] = (changed[0, 15:] + 7) % SMALL.n_vocab
    with torch.no_grad():
        a, b = model(ids), model(changed)
    assert torch.allclose(a[0, :15], b[0, :15], atol=1e-5)
    assert not torch.allclose(a[0, 15:], b[0, 15:], atol=1e-3)


def test_batch_rows_are_independent() -> None:
    model = _model()
    gen = torch.Generator().manual_seed(2)
    ids = torch.randint(0, SMALL.n_vocab, (3, 20), generator=gen)
    with torch.no_grad():
        together = model(ids)
        alone = torch.cat([model(ids[i : i + 1]) for i in range(3)])
    assert torch.allclose(together, alone, atol=1e-4)


def test_rope_rotates_interleaved_pairs_of_the_first_half_only() -> None:
    cfg = SMALL
    cos, sin = rope_tables(cfg, 32)
    x = torch.randn(1, 1, 32, cfg.head_dim, generator=torch.Generator().manual_seed(3))
    y = apply_rope(x, cos, sin, cfg.n_rot)
    assert torch.allclose(y[0, 0, 0], x[0, 0, 0])  # position 0: identity
    assert torch.equal(y[..., cfg.n_rot :], x[..., cfg.n_rot :])  # second half untouched
    pairs_x = x[..., : cfg.n_rot].unflatten(-1, (cfg.n_rot // 2, 2)).norm(dim=-1)
    pairs_y = y[..., : cfg.n_rot].unflatten(-1, (cfg.n_rot // 2, 2)).norm(dim=-1)
    assert torch.allclose(pairs_x, pairs_y, atol=1e-5)  # each (2i, 2i+1) pair is a rotation
    # Pair 0 turns by one radian per position (theta_0 = 1).
    a, b = x[0, 0, :, 0], x[0, 0, :, 1]
    pos = torch.arange(32, dtype=torch.float32)
    assert torch.allclose(y[0, 0, :, 0], a * pos.cos() - b * pos.sin(), atol=1e-4)


def test_rope_scores_depend_on_relative_position_only() -> None:
    cfg = SMALL
    cos, sin = rope_tables(cfg, 64)
    gen = torch.Generator().manual_seed(4)
    q = torch.randn(cfg.head_dim, generator=gen)
    k = torch.randn(cfg.head_dim, generator=gen)

    def at(v: torch.Tensor, pos: int) -> torch.Tensor:
        seq = v.expand(1, 1, pos + 1, cfg.head_dim)
        return apply_rope(seq, cos, sin, cfg.n_rot)[0, 0, pos]

    assert torch.allclose(at(q, 9) @ at(k, 4), at(q, 40) @ at(k, 35), atol=1e-4)
    assert not torch.allclose(at(q, 9) @ at(k, 4), at(q, 9) @ at(k, 8), atol=1e-3)


def test_checkpoint_round_trips_with_the_tie(tmp_path: Path) -> None:
    model = _model()
    train.save(model, SMALL, 12, tmp_path)
    loaded = export.load_model(tmp_path / "glm-code-tiny.pt")
    assert loaded.cfg == SMALL
    assert loaded.head.weight is loaded.embed.weight
    ids = torch.arange(30)[None] % SMALL.n_vocab
    with torch.no_grad():
        assert torch.equal(model(ids), loaded(ids))
    assert torch.load(tmp_path / "glm-code-tiny.pt", weights_only=True)["step"] == 12


@pytest.mark.parametrize(
    ("step", "total", "warmup", "expected"),
    [(0, 100, 10, 0.1), (9, 100, 10, 1.0), (10, 100, 10, 1.0), (100, 100, 10, 0.1)],
)
def test_lr_schedule_warms_up_and_decays_to_a_tenth(
    step: int, total: int, warmup: int, expected: float
) -> None:
    assert train.lr_at(step, total, 1.0, warmup) == pytest.approx(expected)
