"""Seeders used by the tests (listed through FORGE["SEEDING"]["SEEDERS"])."""

from __future__ import annotations

from example_project.blog.factories import TagFactory
from example_project.blog.models import Tag
from example_project.shop.factories import ProductFactory
from forge_suite.seeding import Seeder

PATH = "tests.seeding.seeders_fixture"


class AlphaSeeder(Seeder):
    def run(self) -> None:
        TagFactory.bulk(self.count(4))


class BetaSeeder(Seeder):
    depends_on = ("AlphaSeeder",)

    def run(self) -> None:
        # Depends on Alpha: its tags are already there.
        assert Tag.objects.count() >= 4
        ProductFactory.create_batch(self.count(2))


class HalfwaySeeder(Seeder):
    depends_on = (AlphaSeeder,)
    order = 10

    def run(self) -> None:
        ProductFactory.bulk(5)
        ProductFactory.create_batch(2)
        raise RuntimeError("the supplier API is down")


class DevelopmentOnlySeeder(Seeder):
    environments = ("development",)

    def run(self) -> None:
        TagFactory.bulk(1, name="dev-only")


class ProductionSeeder(Seeder):
    environments = ("production",)

    def run(self) -> None:
        TagFactory.create(name="prod", slug="prod")


class LoopASeeder(Seeder):
    depends_on = ("LoopBSeeder",)

    def run(self) -> None:
        pass


class LoopBSeeder(Seeder):
    depends_on = ("LoopASeeder",)

    def run(self) -> None:
        pass


def paths(*names: str) -> list[str]:
    return [f"{PATH}.{name}" for name in names]
