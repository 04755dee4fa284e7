"""``manage.py factory``: ad-hoc rows with states and relationships, validated."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from django.core.management.base import CommandError

from example_project.blog.models import Comment, Post
from example_project.shop.models import Product
from forge_suite.seeding import Factory

pytestmark = pytest.mark.django_db


def factory(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command("factory", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_states_and_relationships() -> None:
    out = factory("blog.Post", "3", "--state", "published", "--with", "comments=2")
    assert Post.objects.filter(status="published").count() == 3
    assert Comment.objects.count() == 6
    assert all(p.comments.count() == 2 for p in Post.objects.all())
    assert "blog.Comment  6" in out
    assert "Created" in out
    assert "rows/min" in out


def test_bulk_option_and_ranges() -> None:
    factory("blog.Post", "20", "--with", "comments=0-2", "--bulk", "--seed", "3")
    assert Post.objects.count() == 20
    assert 0 <= Comment.objects.count() <= 40


def test_seed_makes_it_deterministic() -> None:
    factory("shop.Product", "5", "--seed", "11")
    first = list(Product.objects.order_by("pk").values_list("name", "price", "stock"))
    Product.objects.all().delete()
    factory("shop.Product", "5", "--seed", "11")
    assert list(Product.objects.order_by("pk").values_list("name", "price", "stock")) == first


def test_unknown_state_lists_the_available_ones() -> None:
    with pytest.raises(CommandError) as info:
        factory("blog.Post", "2", "--state", "viral")
    assert "PostFactory has no state 'viral'" in str(info.value)
    assert "Available states: published" in str(info.value)
    assert not Post.objects.exists()


def test_unknown_relationship_lists_the_available_ones() -> None:
    with pytest.raises(CommandError) as info:
        factory("auth.User", "2", "--with", "likes=2")
    assert "no has_many/has_one relationship 'likes'" in str(info.value)
    assert "orders, posts, profile" in str(info.value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("comments=abc", "the count must be an integer or a range"),
        ("comments=-2", "the count must be an integer or a range"),
        ("comments=5-2", "counts must be >= 0 and low <= high"),
        ("=3", "expected NAME or NAME=COUNT"),
    ],
)
def test_bad_with_values(value: str, problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        factory("blog.Post", "1", "--with", value)


def test_unknown_model_and_missing_factory() -> None:
    with pytest.raises(CommandError, match=r"Unknown model 'blog\.Nope'"):
        factory("blog.Nope", "1")
    with pytest.raises(CommandError, match=r"No factory for forge_seeding\.SeedRun"):
        factory("forge_seeding.SeedRun", "1")
    with pytest.raises(CommandError, match="COUNT must be at least 1"):
        factory("blog.Post", "0")


@pytest.fixture
def colliding_factory(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A User factory whose rows all share one username, importable by --factory.

    Made per test and taken out of the factory registry afterwards, so it never becomes the
    default factory of auth.User for other tests.
    """
    import sys

    from forge_suite.seeding import registry

    class CollidingUserFactory(Factory):
        class Meta:
            model = "auth.User"

        username = "same-name"

    monkeypatch.setattr(
        sys.modules[__name__], "CollidingUserFactory", CollidingUserFactory, raising=False
    )
    yield CollidingUserFactory
    registry.unregister(CollidingUserFactory)


def test_a_database_error_is_a_command_error_and_keeps_nothing(colliding_factory: Any) -> None:
    from django.contrib.auth import get_user_model

    expected = r"Creating 3 auth\.User rows failed and nothing was kept"
    with pytest.raises(CommandError, match=expected):
        factory("auth.User", "3", "--factory", f"{__name__}.CollidingUserFactory")
    assert not get_user_model().objects.filter(username="same-name").exists()


@pytest.fixture
def repeating_sku_factory(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A Product factory whose SKUs repeat every three rows (a unique column collides)."""
    import sys

    import factory as factory_boy

    from example_project.shop.factories import ProductFactory
    from forge_suite.seeding import registry

    class RepeatingSkuFactory(ProductFactory):
        class Meta:
            model = Product

        sku = factory_boy.Sequence(lambda n: f"SKU-{n % 3}")

    monkeypatch.setattr(
        sys.modules[__name__], "RepeatingSkuFactory", RepeatingSkuFactory, raising=False
    )
    yield RepeatingSkuFactory
    registry.unregister(RepeatingSkuFactory)


@pytest.mark.parametrize("fast_writer", [True, False], ids=["fast-writer", "bulk_create"])
def test_a_unique_violation_on_the_bulk_path_is_djangos_integrity_error(
    repeating_sku_factory: Any, fast_writer: bool
) -> None:
    from django.db import IntegrityError
    from django.test import override_settings

    with override_settings(FORGE={"SEEDING": {"FAST_WRITER": fast_writer}}):
        with pytest.raises(IntegrityError):
            repeating_sku_factory.bulk(5)
        expected = r"Creating 5 shop\.Product rows failed and nothing was kept"
        with pytest.raises(CommandError, match=expected):
            factory("shop.Product", "5", "--bulk", "--factory", f"{__name__}.RepeatingSkuFactory")
    assert not Product.objects.exists()


def test_with_children_reuse_existing_parents_instead_of_creating_more() -> None:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    factory("blog.Post", "50", "--with", "comments", "--seed", "2")
    assert Post.objects.count() == 50
    assert Comment.objects.count() == 50
    assert User.objects.count() == 50  # the posts' authors; comments reuse them
    assert set(Comment.objects.values_list("author_id", flat=True)) <= set(
        Post.objects.values_list("author_id", flat=True)
    )
    factory("blog.Post", "10", "--with", "comments=2", "--bulk", "--recycle", "auth.User")
    assert User.objects.count() == 50  # --recycle: the new posts' authors are reused too
    assert Comment.objects.count() == 70
    with pytest.raises(CommandError, match=r"--recycle: unknown model 'auth\.Nope'"):
        factory("blog.Post", "1", "--recycle", "auth.Nope")


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often a password is hashed."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.calls += 1
        return super().encode(password, salt)


def test_demo_passwords_are_hashed_once_per_run() -> None:
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    CountingHasher.calls = 0
    with override_settings(PASSWORD_HASHERS=[f"{__name__}.CountingHasher"]):
        factory("auth.User", "20", "--seed", "3")
        assert CountingHasher.calls == 1
        user = get_user_model().objects.first()
        assert user is not None
        assert user.check_password("demo-password")
