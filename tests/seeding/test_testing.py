"""forge_suite.seeding.testing: the seeded decorator and factory assertions for users' tests."""

from __future__ import annotations

import unittest

import pytest

from example_project.accounts.factories import UserFactory
from example_project.blog.factories import PostFactory, TagFactory
from example_project.shop.factories import OrderFactory, ProductFactory
from example_project.shop.models import Order, Product
from forge_suite.seeding.session import current_session
from forge_suite.seeding.testing import FactoryInvalid, assert_factory_valid, seeded

pytestmark = pytest.mark.django_db


def test_seeded_counts_bulk_rows_and_one_by_one_saves() -> None:
    with seeded(5) as run:
        TagFactory.bulk(3)
        TagFactory.create()
        UserFactory.with_posts(2).create()
    assert run.rows == {"blog.Tag": 4, "auth.User": 1, "blog.Post": 2}
    TagFactory.create()  # after the block: not counted, the receiver is gone
    assert run.rows["blog.Tag"] == 4


def test_seeded_as_a_decorator_gives_the_same_data_each_time() -> None:
    @seeded(11, kwarg_name="run")
    def make(run: object) -> list[str]:
        assert run is current_session()
        return [u.username for u in UserFactory.build_batch(4)]

    assert make() == make()


def test_seeded_decorates_a_test_case_class() -> None:
    seen: list[str] = []

    @seeded(3)
    class Sample(unittest.TestCase):
        def test_one(self) -> None:
            seen.append(UserFactory.build().first_name)

    for _ in range(2):
        unittest.TextTestRunner(stream=open("/dev/null", "w")).run(  # noqa: SIM115
            unittest.defaultTestLoader.loadTestsFromTestCase(Sample)
        )
    assert len(seen) == 2
    assert seen[0] == seen[1]


@pytest.mark.parametrize("bulk", [False, True], ids=["build", "bulk"])
def test_demo_factories_make_valid_objects(bulk: bool) -> None:
    for made in (UserFactory, PostFactory, TagFactory, ProductFactory):
        assert len(assert_factory_valid(made, 10, bulk=bulk)) == 10
    assert Product.objects.count() == 0  # the bulk check rolled its rows back


def test_an_invalid_value_is_reported_with_its_field() -> None:
    lost = OrderFactory.builder().set(
        status="lost"
    )  # not one of Order.Status: the database takes it
    with pytest.raises(FactoryInvalid, match=r"OrderFactory made an invalid shop\.Order") as info:
        assert_factory_valid(lost, 3)
    assert "status='lost'" in str(info.value)
    assert "is not a valid choice" in str(info.value)
    with pytest.raises(FactoryInvalid, match="bulk path"):
        assert_factory_valid(lost, 3, bulk=True)
    assert not Order.objects.exists()
