"""Event classes shared by the event store tests."""

from __future__ import annotations

from dataclasses import dataclass

from forge_suite.eventstore import Aggregate, Event, handles, upcaster


@dataclass(frozen=True)
class ItemAdded(Event, type_name="test.ItemAdded"):
    sku: str
    quantity: int = 1


@dataclass(frozen=True)
class ItemRemoved(Event, type_name="test.ItemRemoved"):
    sku: str


@dataclass(frozen=True)
class PriceSet(Event, type_name="test.PriceSet", version=2):
    """v1 stored ``price`` as a float in euros; v2 stores ``amount_cents`` and ``currency``."""

    amount_cents: int
    currency: str


@upcaster("test.PriceSet", 1)
def _price_v1_to_v2(data: dict) -> dict:
    return {"amount_cents": round(data.pop("price") * 100), "currency": "EUR"}


class Cart(Aggregate):
    """A small aggregate: items with quantities, snapshotted every 3 events."""

    snapshot_every = 3

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.items: dict[str, int] = {}

    def add(self, sku: str, quantity: int = 1) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.record(ItemAdded(sku, quantity))

    def remove(self, sku: str) -> None:
        if sku not in self.items:
            raise KeyError(sku)
        self.record(ItemRemoved(sku))

    @handles(ItemAdded)
    def _added(self, event: ItemAdded) -> None:
        self.items[event.sku] = self.items.get(event.sku, 0) + event.quantity

    @handles(ItemRemoved)
    def _removed(self, event: ItemRemoved) -> None:
        self.items.pop(event.sku, None)
