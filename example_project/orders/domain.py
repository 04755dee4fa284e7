"""The order aggregate and its events."""

from __future__ import annotations

from dataclasses import dataclass

from forge_suite.eventstore import Aggregate, Event, Repository, handles, upcaster


@dataclass(frozen=True)
class OrderPlaced(Event, type_name="orders.OrderPlaced", version=2):
    order_id: str
    customer: str
    total_cents: int
    currency: str = "EUR"


@upcaster("orders.OrderPlaced", 1)
def _placed_v1_to_v2(data: dict) -> dict:
    """v1 stored the total as a decimal string in ``total``."""
    total = data.pop("total")
    return {**data, "total_cents": round(float(total) * 100), "currency": "EUR"}


@dataclass(frozen=True)
class OrderPaid(Event, type_name="orders.OrderPaid"):
    order_id: str
    amount_cents: int


@dataclass(frozen=True)
class OrderCancelled(Event, type_name="orders.OrderCancelled"):
    order_id: str
    reason: str = ""


class OrderError(ValueError):
    """A command that the order's current state does not allow."""


class Order(Aggregate):
    stream_prefix = "order"
    snapshot_every = 20

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.status = "new"
        self.customer = ""
        self.total_cents = 0
        self.paid_cents = 0

    @classmethod
    def place(cls, order_id: str, customer: str, total_cents: int) -> Order:
        if total_cents <= 0:
            raise OrderError("an order total must be positive")
        order = cls(order_id)
        order.record(OrderPlaced(order_id, customer, total_cents))
        return order

    def pay(self, amount_cents: int) -> None:
        if self.status != "placed":
            raise OrderError(f"order {self.id} is {self.status}, it cannot be paid")
        if amount_cents != self.total_cents:
            raise OrderError(f"order {self.id} costs {self.total_cents}, not {amount_cents}")
        self.record(OrderPaid(self.id, amount_cents))

    def cancel(self, reason: str = "") -> None:
        if self.status not in {"placed"}:
            raise OrderError(f"order {self.id} is {self.status}, it cannot be cancelled")
        self.record(OrderCancelled(self.id, reason))

    @handles(OrderPlaced)
    def _placed(self, event: OrderPlaced) -> None:
        self.status, self.customer, self.total_cents = "placed", event.customer, event.total_cents

    @handles(OrderPaid)
    def _paid(self, event: OrderPaid) -> None:
        self.status, self.paid_cents = "paid", event.amount_cents

    @handles(OrderCancelled)
    def _cancelled(self, event: OrderCancelled) -> None:
        self.status = "cancelled"


orders = Repository(Order)
