"""Seeders and ``db_seed``: environments, order, transactions, guards, dry runs, seeds."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from example_project.blog.models import Comment, Post, Tag
from example_project.shop.models import Order, Product
from forge_suite.seeding.api import already_seeded
from forge_suite.seeding.exceptions import InvalidScale
from forge_suite.seeding.models import SeedRun
from forge_suite.seeding.seeders import ordered, registry, run_seeders
from tests.seeding.seeders_fixture import AlphaSeeder, BetaSeeder, paths

pytestmark = pytest.mark.django_db


def seed(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command("db_seed", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def fixture_seeders() -> Iterator[None]:
    forge = {
        "ENVIRONMENT": "testing",
        "SEEDING": {
            "SEEDERS": paths("BetaSeeder", "AlphaSeeder", "DevelopmentOnlySeeder"),
            "PROGRESS": False,
        },
    }
    with override_settings(FORGE=forge):
        yield


def test_dependencies_run_first_and_environments_filter(fixture_seeders: None) -> None:
    out = seed()
    assert out.index("Seeding AlphaSeeder") < out.index("Seeding BetaSeeder")
    assert "DevelopmentOnlySeeder" not in out
    assert Tag.objects.count() == 4
    assert not Tag.objects.filter(name="dev-only").exists()
    assert Product.objects.count() == 2
    assert set(SeedRun.objects.values_list("environment", flat=True)) == {"testing"}
    assert "blog.Tag" in out
    assert "shop.Product" in out
    assert "Created 6 rows with 2 seeder(s)" in out
    assert "rows/min" in out


@pytest.mark.django_db(transaction=True)
def test_a_failing_seeder_leaves_nothing_and_is_named(fixture_seeders: None) -> None:
    with pytest.raises(CommandError) as info:
        seed("--class", "HalfwaySeeder")
    message = str(info.value)
    assert "HalfwaySeeder" in message
    assert "the supplier API is down" in message
    assert "nothing from HalfwaySeeder was saved" in message
    assert Product.objects.count() == 0  # neither the bulk rows nor the saved ones
    assert Tag.objects.count() == 4  # its dependency committed in its own transaction
    assert list(SeedRun.objects.values_list("seeder", flat=True)) == [f"{paths('AlphaSeeder')[0]}"]


def test_a_bad_seeder_path_in_settings_is_a_clear_error() -> None:
    with (
        override_settings(
            FORGE={
                "ENVIRONMENT": "testing",
                "SEEDING": {"SEEDERS": ["nowhere.seeders.MissingSeeder"]},
            }
        ),
        pytest.raises(CommandError, match=r"cannot import 'nowhere\.seeders\.MissingSeeder'"),
    ):
        seed()


def test_production_needs_force() -> None:
    forge = {"ENVIRONMENT": "production", "SEEDING": {"SEEDERS": paths("ProductionSeeder")}}
    with override_settings(FORGE=forge):
        with pytest.raises(CommandError, match="Refusing to seed the production environment"):
            seed()
        assert not Tag.objects.exists()
        seed("--force")
    assert Tag.objects.filter(name="prod").exists()


def test_production_guard_in_the_library_too() -> None:
    from forge_suite.seeding.exceptions import ProductionGuard

    with pytest.raises(ProductionGuard):
        run_seeders([AlphaSeeder], environment="production")
    assert not Tag.objects.exists()


def test_unknown_class_lists_the_available_seeders(fixture_seeders: None) -> None:
    with pytest.raises(CommandError) as info:
        seed("--class", "NopeSeeder")
    assert "Unknown seeder 'NopeSeeder'" in str(info.value)
    assert "AlphaSeeder, BetaSeeder" in str(info.value)


def test_class_runs_with_its_dependencies_by_name_or_path(fixture_seeders: None) -> None:
    seed("--class", paths("BetaSeeder")[0])
    assert Tag.objects.count() == 4
    assert Product.objects.count() == 2


def test_dependency_cycles_are_reported() -> None:
    with pytest.raises(CommandError, match="cycle: LoopASeeder -> LoopBSeeder -> LoopASeeder"):
        seed("--class", "LoopASeeder", environment="testing")


def test_ordering_is_stable() -> None:
    assert ordered([BetaSeeder]) == [AlphaSeeder, BetaSeeder]
    assert registry.get("AlphaSeeder") is AlphaSeeder


def test_dry_run_rolls_everything_back(fixture_seeders: None) -> None:
    out = seed("--dry-run")
    assert "Would create 6 rows" in out
    assert "rolled back" in out
    assert not Tag.objects.exists()
    assert not Product.objects.exists()
    assert not SeedRun.objects.exists()


def test_bad_options_are_command_errors(fixture_seeders: None) -> None:
    with pytest.raises(CommandError, match="--scale must be positive"):
        seed("--scale", "0")
    with pytest.raises(CommandError, match="Unknown locale 'xx_YY'"):
        seed("--locale", "xx_YY")
    with pytest.raises(CommandError, match="cannot be combined"):
        seed("--fresh", "--dry-run", "--no-input")


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "1e9", "-2"])
def test_a_scale_that_is_not_a_sane_number_is_bad_input(fixture_seeders: None, value: str) -> None:
    with pytest.raises(CommandError) as info:
        seed("--scale", value)
    message = str(info.value)
    assert message.startswith("--scale must be positive, finite and at most 10,000")
    assert "failed" not in message  # not blamed on a seeder
    assert not Tag.objects.exists()
    with pytest.raises(InvalidScale):
        run_seeders(["AlphaSeeder"], scale=float(value))


def test_scale_multiplies_counts(fixture_seeders: None) -> None:
    seed("--class", "AlphaSeeder", "--scale", "2.5")
    assert Tag.objects.count() == 10


def test_list_shows_the_plan(fixture_seeders: None) -> None:
    out = seed("--list")
    assert out.splitlines()[0].startswith("AlphaSeeder  [development, testing]")
    assert not Tag.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_fresh_asks_then_flushes(fixture_seeders: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # A name no Faker word can be ("old" is one: the fresh seed may draw it again).
    Tag.objects.create(name="stale-tag", slug="stale-tag")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled; nothing was flushed"):
        seed("--fresh")
    assert Tag.objects.filter(name="stale-tag").exists()
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    seed("--fresh")
    assert not Tag.objects.filter(name="stale-tag").exists()
    assert Tag.objects.count() == 4
    seed("--fresh", "--no-input")
    assert Tag.objects.count() == 4


def dump() -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command(
        "dumpdata", "auth.user", "accounts", "blog", "chat", "shop", stdout=out, indent=None
    )
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


@pytest.mark.django_db(transaction=True)
def test_same_seed_twice_gives_identical_dumps(testing_env: None) -> None:
    seed("--seed", "42", "--no-input", "--fresh")
    first = dump()
    seed("--seed", "42", "--no-input", "--fresh")
    second = dump()
    assert first == second
    models = {row["model"] for row in first}
    assert {"auth.user", "accounts.profile", "blog.post", "blog.comment", "chat.message"} <= models
    assert {"shop.order", "shop.orderitem", "shop.product", "blog.tag"} <= models
    seed("--seed", "43", "--no-input", "--fresh")
    assert dump() != first


def test_demo_seeders_make_a_believable_site(testing_env: None) -> None:
    assert not already_seeded()
    out = seed("--seed", "7", verbosity=2)
    assert already_seeded()
    assert Post.objects.filter(status="published").count() == 150
    assert Comment.objects.exists()
    assert Post.tags.through.objects.exists()
    for order in Order.objects.prefetch_related("items"):
        expected = sum(i.quantity * i.unit_price for i in order.items.all())
        assert order.total == expected
        assert order.items.exists()
    assert "UserSeeder:" in out  # per-seeder lines at verbosity 2
    assert SeedRun.objects.count() == 6


def test_verbosity_zero_is_quiet(fixture_seeders: None) -> None:
    assert seed(verbosity=0) == ""
    assert Tag.objects.count() == 4


def test_sequences_continue_after_the_highest_stored_value(testing_env: None) -> None:
    seed("--class", "ProductSeeder", "--seed", "1")
    assert Product.objects.count() == 60
    Product.objects.filter(sku="SKU-000000").delete()  # 59 rows left, SKU-000059 among them
    seed("--class", "ProductSeeder", "--seed", "2")
    skus = list(Product.objects.values_list("sku", flat=True))
    assert len(skus) == len(set(skus)) == 119
    assert max(skus) == "SKU-000119"
