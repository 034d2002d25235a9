"""Plain data: what an item is and where it is kept."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Item:
    """One stock keeping unit."""

    sku: str
    name: str
    price_cents: int
    weight_grams: int = 0
    tags: list[str] = field(default_factory=list)

    def total_price(self, quantity: int) -> int:
        """Price of ``quantity`` units in cents."""
        return self.price_cents * quantity

    def is_heavy(self) -> bool:
        return self.weight_grams > 20_000


@dataclass
class Warehouse:
    """A named place holding quantities of items."""

    name: str
    capacity: int
    stock: dict[str, int] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)

    def quantity(self, sku: str) -> int:
        """Units of ``sku`` on hand (0 when unknown)."""
        return self.stock.get(sku, 0)

    def restock(self, item: Item, quantity: int) -> int:
        """Add ``quantity`` units of ``item``; returns the new quantity."""
        self.items[item.sku] = item
        self.stock[item.sku] = self.stock.get(item.sku, 0) + quantity
        return self.stock[item.sku]

    def remove(self, sku: str, quantity: int) -> int:
        """Take up to ``quantity`` units; returns how many were taken."""
        taken = min(self.stock.get(sku, 0), quantity)
        self.stock[sku] = self.stock.get(sku, 0) - taken
        return taken

    def free_capacity(self) -> int:
        return self.capacity - sum(self.stock.values())
