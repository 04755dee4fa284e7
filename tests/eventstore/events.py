"""Event classes shared by the event store tests."""

from __future__ import annotations

from dataclasses import dataclass

from forge_suite.eventstore import Event, upcaster


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
