"""The glm-code-tiny network in PyTorch: exactly the computation of llama.cpp's ``chatglm`` graph.

Why it mirrors llama.cpp and not a generic decoder: the weights are exported to a ``chatglm`` GGUF
and run by llama.cpp unchanged, so every choice here is one that graph makes — pre-RMSNorm blocks,
one fused QKV projection *with* bias and an output projection without, rotary embedding on the
first half of each head with interleaved pairs (GLM's "2D" RoPE, ``LLAMA_ROPE_TYPE_NORM``),
grouped-query attention, and a SwiGLU FFN whose fused up-projection holds the gate rows first and
the up rows second. ``tests/model/test_trained_model.py`` checks the exported file's logits
against this module.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Config:
    n_vocab: int = 8209
    n_embd: int = 256
    n_layer: int = 6
    n_head: int = 4
    n_head_kv: int = 2
    n_ff: int = 704
    n_ctx: int = 1024
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def n_rot(self) -> int:
        return self.head_dim // 2

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        out = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (out * self.weight).type_as(x)


def rope_tables(cfg: Config, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    half = cfg.n_rot // 2
    inv = cfg.rope_base ** (-torch.arange(half, dtype=torch.float64) * 2 / cfg.n_rot)
    angles = torch.arange(n, dtype=torch.float64)[:, None] * inv[None, :]
    return angles.cos().float(), angles.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, n_rot: int) -> torch.Tensor:
    """x: (batch, heads, time, head_dim); rotates pairs (0,1), (2,3)… of the first n_rot dims."""
    rot, rest = x[..., :n_rot], x[..., n_rot:]
    pairs = rot.float().unflatten(-1, (n_rot // 2, 2))
    a, b = pairs[..., 0], pairs[..., 1]
    c, s = cos[: x.shape[-2]], sin[: x.shape[-2]]
    rotated = torch.stack((a * c - b * s, a * s + b * c), dim=-1).flatten(-2)
    return torch.cat((rotated.type_as(x), rest), dim=-1)


class Block(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.attn_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.qkv = nn.Linear(cfg.n_embd, (cfg.n_head + 2 * cfg.n_head_kv) * hd, bias=True)
        self.out = nn.Linear(cfg.n_head * hd, cfg.n_embd, bias=False)
        self.ffn_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.up = nn.Linear(cfg.n_embd, 2 * cfg.n_ff, bias=False)  # [gate; up]
        self.down = nn.Linear(cfg.n_ff, cfg.n_embd, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        b, t, _ = x.shape
        hd = cfg.head_dim
        qkv = self.qkv(self.attn_norm(x))
        q, k, v = qkv.split([cfg.n_head * hd, cfg.n_head_kv * hd, cfg.n_head_kv * hd], dim=-1)
        q = q.view(b, t, cfg.n_head, hd).transpose(1, 2)
        k = k.view(b, t, cfg.n_head_kv, hd).transpose(1, 2)
        v = v.view(b, t, cfg.n_head_kv, hd).transpose(1, 2)
        q = apply_rope(q, cos, sin, cfg.n_rot)
        k = apply_rope(k, cos, sin, cfg.n_rot)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        x = x + self.out(att.transpose(1, 2).reshape(b, t, cfg.n_head * hd))
        gate, up = self.up(self.ffn_norm(x)).chunk(2, dim=-1)
        return x + self.down(F.silu(gate) * up)


class GLM(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.n_vocab, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.head = nn.Linear(cfg.n_embd, cfg.n_vocab, bias=False)
        cos, sin = rope_tables(cfg, cfg.n_ctx)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.apply(self._init)
        for block in self.blocks:
            assert isinstance(block, Block)
            std = 0.02 / math.sqrt(2 * cfg.n_layer)
            nn.init.normal_(block.out.weight, std=std)
            nn.init.normal_(block.down.weight, std=std)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)
        cos, sin = self.cos, self.sin
        assert isinstance(cos, torch.Tensor) and isinstance(sin, torch.Tensor)
        for block in self.blocks:
            x = block(x, cos, sin)
        return self.head(self.norm(x))

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
