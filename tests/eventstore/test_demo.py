"""The example project's event-sourced orders."""

from __future__ import annotations

import pytest

from example_project.orders.domain import Order, OrderError, OrderPlaced, orders
from forge_suite.eventstore import NewEvent, append, read_stream

pytestmark = pytest.mark.django_db


def test_order_lifecycle_and_rules() -> None:
    order = Order.place("1", "ann", 4200)
    orders.save(order)
    with pytest.raises(OrderError, match="costs 4200, not 100"):
        order.pay(100)
    order.pay(4200)
    orders.save(order)
    loaded = orders.load("1")
    assert (loaded.status, loaded.paid_cents, loaded.version) == ("paid", 4200, 2)
    with pytest.raises(OrderError, match="is paid, it cannot be cancelled"):
        loaded.cancel()
    with pytest.raises(OrderError, match="must be positive"):
        Order.place("2", "bob", 0)


def test_v1_order_placed_is_read_as_v2() -> None:
    append(
        "order-9",
        [NewEvent("orders.OrderPlaced", {"order_id": "9", "customer": "c", "total": "12.50"})],
    )
    [event] = read_stream("order-9")
    assert event.schema_version == 2
    assert event.event == OrderPlaced("9", "c", 1250, "EUR")
    assert orders.load("9").total_cents == 1250
