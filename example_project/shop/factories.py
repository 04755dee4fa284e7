"""Factories of the demo shop."""

from __future__ import annotations

import factory
import factory.fuzzy

from example_project.accounts.factories import UserFactory, moment
from example_project.shop.models import Order, OrderItem, Product
from forge_suite.seeding import Factory, HasMany


class ProductFactory(Factory):
    class Meta:
        model = Product

    name = factory.Faker("catch_phrase")
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    description = factory.Faker("paragraph", nb_sentences=4)
    price = factory.Faker("pydecimal", left_digits=3, right_digits=2, min_value=1, max_value=500)
    stock = factory.Faker("pyint", min_value=0, max_value=250)
    created_at = moment()

    class Params:
        sold_out = factory.Trait(stock=0)


class OrderFactory(Factory):
    class Meta:
        model = Order

    customer = factory.SubFactory(UserFactory)
    number = factory.Sequence(lambda n: f"ORD-{n:08d}")
    status = factory.Faker("random_element", elements=[s.value for s in Order.Status])
    placed_at = moment()

    items = HasMany("example_project.shop.factories.OrderItemFactory", fk="order")

    class Params:
        paid = factory.Trait(status=Order.Status.PAID)
        cancelled = factory.Trait(status=Order.Status.CANCELLED)


class OrderItemFactory(Factory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = factory.fuzzy.FuzzyInteger(1, 4)
    unit_price = factory.Faker(
        "pydecimal", left_digits=3, right_digits=2, min_value=1, max_value=500
    )
