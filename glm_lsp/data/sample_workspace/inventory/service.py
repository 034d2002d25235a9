"""Moving stock: orders take it out, reorders bring it back."""

from __future__ import annotations

import logging

from inventory.config import Config
from inventory.models import Item, Warehouse

log = logging.getLogger(__name__)


class InventoryService:
    """Keeps one warehouse stocked according to the configuration."""

    def __init__(self, warehouse: Warehouse, config: Config) -> None:
        self.warehouse = warehouse
        self.config = config
        self.orders_served = 0
        self.history: list[str] = []

    def needs_reorder(self, sku: str) -> bool:
        level = self.config.get("reorder_level")
        return self.warehouse.quantity(sku) < level

    def reorder(self, item: Item) -> int:
        quantity = self.config.get("reorder_quantity")
        if quantity > self.warehouse.free_capacity():
            quantity = self.warehouse.free_capacity()
        self.history.append(f"reorder {item.sku} x{quantity}")
        return self.warehouse.restock(item, quantity)

    def serve_order(self, lines: dict[str, int]) -> int:
        """Serve what we can of an order; returns the number of units shipped."""
        shipped = 0
        for sku, wanted in lines.items():
            shipped += self.warehouse.remove(sku, wanted)
            item = self.warehouse.items.get(sku)
            if item is not None and self.needs_reorder(sku):
                self.reorder(item)
        self.orders_served += 1
        self.history.append(f"order of {len(lines)} lines, {shipped} units")
        log.info("served order %d", self.orders_served)
        return shipped

    def order_value(self, lines: dict[str, int]) -> int:
        total = 0
        for sku, wanted in lines.items():
            item = self.warehouse.items.get(sku)
            if item is not None:
                total += item.total_price(wanted)
        return total
