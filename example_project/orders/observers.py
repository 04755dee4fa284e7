"""When an order summary turns paid: a signed webhook, a realtime broadcast and a log line."""

from __future__ import annotations

from example_project.orders.models import OrderSummary
from forge_suite.eventstore.observers import Broadcast, Log, Observer, Webhook, changed_to


class OrderPaidObserver(Observer):
    model = OrderSummary
    on = ("update",)
    when = changed_to("status", "paid")
    actions = (
        Webhook("shop", "order.paid"),
        Broadcast("orders", "order.paid"),
        Log(),
    )
