"""Service settings, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    reorder_level: int = 10
    reorder_quantity: int = 50
    currency: str = "EUR"
    max_order_lines: int = 100

    def get(self, key: str, default: int = 0) -> int:
        value = getattr(self, key, default)
        return value if isinstance(value, int) else default
