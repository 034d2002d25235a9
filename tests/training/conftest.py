"""Puts ``models/tiny`` on ``sys.path`` so the training scripts import as modules here.

Why not a package: the scripts are run as ``python models/tiny/train.py`` and import each other by
bare name (``import corpus``); the tests import them the same way. The shared fixtures are the
texts every tokenizer comparison uses and a tiny random GLM exported with the real tokenizer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TINY = Path(__file__).resolve().parents[2] / "models" / "tiny"
if str(TINY) not in sys.path:
    sys.path.insert(0, str(TINY))

import bpe  # noqa: E402
import export  # noqa: E402
from glm import GLM, Config  # noqa: E402
from tiny_helpers import TOKENIZER_TEXTS, randomize  # noqa: E402


@pytest.fixture
def tokenizer_texts() -> tuple[str, ...]:
    return TOKENIZER_TEXTS


@pytest.fixture(scope="session")
def tiny_glm() -> GLM:
    """A 2-layer GLM with the real tokenizer's vocabulary and tied embeddings, as train.py has."""
    n_vocab = bpe.load().get_vocab_size()
    cfg = Config(n_vocab=n_vocab, n_embd=64, n_layer=2, n_head=2, n_head_kv=1, n_ff=96, n_ctx=128)
    model = GLM(cfg)
    model.head.weight = model.embed.weight
    randomize(model, seed=5)
    model.eval()
    return model


@pytest.fixture(scope="session")
def tiny_f32(tiny_glm: GLM, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny_glm`` exported by ``export.write_f32`` with the committed ``tokenizer.json``."""
    path = tmp_path_factory.mktemp("gguf") / "tiny-f32.gguf"
    export.write_f32(tiny_glm, path)
    return path
