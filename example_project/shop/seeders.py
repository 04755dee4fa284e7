"""A product catalogue and orders whose totals add up."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from example_project.shop.factories import OrderFactory, ProductFactory
from example_project.shop.models import Order, OrderItem, Product
from forge_suite.seeding import Seeder


class ProductSeeder(Seeder):
    def run(self) -> None:
        ProductFactory.bulk(self.count(55))
        ProductFactory.states("sold_out").bulk(self.count(5))


class OrderSeeder(Seeder):
    depends_on = ("UserSeeder", ProductSeeder)

    def run(self) -> None:
        users = get_user_model()._default_manager.filter(is_superuser=False)
        products = Product.objects.all()
        orders = OrderFactory.with_items((1, 4), product=products).bulk(
            self.count(150), customer=users
        )
        # Items cost what their product costs; an order's total is the sum of its items.
        if not orders:
            return
        # The new orders' keys, as a range: a key list would not fit in one SQLite query.
        first, last = min(orders), max(orders)
        new_items = OrderItem.objects.filter(order_id__gte=first, order_id__lte=last)
        new_items.update(
            unit_price=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("price"))
        )
        money = DecimalField(max_digits=12, decimal_places=2)
        line_totals = (
            OrderItem.objects.filter(order_id=OuterRef("pk"))
            .values("order_id")
            .annotate(
                total=Sum(ExpressionWrapper(F("quantity") * F("unit_price"), output_field=money))
            )
            .values("total")
        )
        Order.objects.filter(pk__range=(first, last)).update(
            total=Coalesce(Subquery(line_totals), Value(Decimal("0.00")), output_field=money)
        )
