"""A text report of a warehouse, for humans."""

from __future__ import annotations

from inventory.models import Warehouse
from inventory.service import InventoryService


def stock_lines(warehouse: Warehouse) -> list[str]:
    lines = []
    for sku, item in sorted(warehouse.items.items()):
        lines.append(f"{sku:<10} {item.name:<24} {warehouse.quantity(sku):>6}")
    return lines


def summary(service: InventoryService) -> str:
    warehouse = service.warehouse
    header = f"{warehouse.name}: {service.orders_served} orders served"
    free = warehouse.free_capacity()
    return "\n".join([header, *stock_lines(warehouse), f"free capacity: {free}"])
