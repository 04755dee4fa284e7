"""The order summary read model, kept by :class:`OrderSummaryProjector`."""

from __future__ import annotations

from django.db import models


class OrderSummary(models.Model):
    order_id = models.CharField(max_length=64, primary_key=True)
    customer = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    total_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    placed_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    last_position = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name_plural = "order summaries"
        indexes = [models.Index(fields=["status", "placed_at"], name="demo_orders_status_idx")]

    def __str__(self) -> str:
        return f"order {self.order_id} ({self.status})"


class CustomerTotal(models.Model):
    """Paid revenue per customer: a second table of the same projection."""

    customer = models.CharField(max_length=200, primary_key=True)
    orders_paid = models.PositiveIntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["customer"]

    def __str__(self) -> str:
        return self.customer
