"""A toy inventory: items, warehouses and the service that moves stock between them."""

from inventory.models import Item, Warehouse
from inventory.service import InventoryService

__all__ = ["InventoryService", "Item", "Warehouse"]
