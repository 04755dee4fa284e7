from __future__ import annotations

from django.contrib import admin

from example_project.orders.models import CustomerTotal, OrderSummary


@admin.register(OrderSummary)
class OrderSummaryAdmin(admin.ModelAdmin):
    list_display = ("order_id", "customer", "status", "total_cents", "placed_at", "paid_at")
    list_filter = ("status",)
    search_fields = ("order_id", "customer")


@admin.register(CustomerTotal)
class CustomerTotalAdmin(admin.ModelAdmin):
    list_display = ("customer", "orders_paid", "revenue_cents")
    search_fields = ("customer",)
