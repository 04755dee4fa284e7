"""Order summary projection: one row per order, and paid revenue per customer."""

from __future__ import annotations

from django.db.models import F

from example_project.orders.domain import OrderCancelled, OrderPaid, OrderPlaced
from example_project.orders.models import CustomerTotal, OrderSummary
from forge_suite.eventstore import Projector, RecordedEvent, handles


class OrderSummaryProjector(Projector):
    name = "order_summary"
    models = (OrderSummary, CustomerTotal)

    @handles(OrderPlaced)
    def placed(self, event: RecordedEvent) -> None:
        data = event.data
        OrderSummary.objects.create(
            order_id=data["order_id"],
            customer=data["customer"],
            status="placed",
            total_cents=data["total_cents"],
            currency=data["currency"],
            placed_at=event.recorded_at,
            last_position=event.position,
        )

    @handles(OrderPaid)
    def paid(self, event: RecordedEvent) -> None:
        summary = OrderSummary.objects.get(order_id=event.data["order_id"])
        summary.status = "paid"
        summary.paid_at = event.recorded_at
        summary.last_position = event.position
        summary.save()
        total, _ = CustomerTotal.objects.get_or_create(customer=summary.customer)
        CustomerTotal.objects.filter(pk=total.pk).update(
            orders_paid=F("orders_paid") + 1,
            revenue_cents=F("revenue_cents") + event.data["amount_cents"],
        )

    @handles(OrderCancelled)
    def cancelled(self, event: RecordedEvent) -> None:
        OrderSummary.objects.filter(order_id=event.data["order_id"]).update(
            status="cancelled", last_position=event.position
        )
