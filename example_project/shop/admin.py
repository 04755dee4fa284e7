from __future__ import annotations

from django.contrib import admin

from example_project.shop.models import Order, OrderItem, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "price", "stock", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "sku", "description"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "status", "total", "placed_at"]
    list_filter = ["status", "placed_at"]
    search_fields = ["number", "customer__username", "customer__email"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    inlines = [OrderItemInline]
    date_hierarchy = "placed_at"
