"""``manage.py factory app.Model 50 --state admin --with posts=5``: ad-hoc rows."""

from __future__ import annotations

import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.db.models.signals import post_save
from django.utils.module_loading import autodiscover_modules, import_string

from forge_suite.seeding import adapter
from forge_suite.seeding.adhoc import bulk_with, create_with
from forge_suite.seeding.exceptions import SeedingError
from forge_suite.seeding.factories import Factory, factories_for
from forge_suite.seeding.management.commands.db_seed import validate_locale
from forge_suite.seeding.session import count_saved, seeded


def parse_with(values: list[str]) -> list[tuple[str, Any]]:
    """``["posts=5", "profile"]`` -> ``[("posts", 5), ("profile", 1)]``."""
    parsed = []
    for item in values:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not name:
            raise CommandError(f"Bad --with {item!r}: expected NAME or NAME=COUNT (posts=5).")
        if not sep:
            parsed.append((name, 1))
            continue
        low, dash, high = raw.partition("-")
        try:
            count: Any = (int(low), int(high)) if dash else int(raw)
        except ValueError:
            raise CommandError(
                f"Bad --with {item!r}: the count must be an integer or a range like 2-5."
            ) from None
        if (dash and (count[0] < 0 or count[1] < count[0])) or (not dash and count < 0):
            raise CommandError(f"Bad --with {item!r}: counts must be >= 0 and low <= high.")
        parsed.append((name, count))
    return parsed


class Command(BaseCommand):
    help = "Create COUNT rows of MODEL with its factory, optional states and relationships."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", help="app_label.ModelName, e.g. blog.Post")
        parser.add_argument("count", type=int, nargs="?", default=1, help="How many (default 1).")
        parser.add_argument(
            "--state", action="append", default=[], help="A factory state; repeatable."
        )
        parser.add_argument(
            "--with",
            dest="with_",
            action="append",
            default=[],
            metavar="NAME=COUNT",
            help="Has-many/has-one children per row, e.g. posts=5 or comments=0-3; repeatable.",
        )
        parser.add_argument(
            "--recycle",
            action="append",
            default=[],
            metavar="APP.MODEL",
            help="Reuse the existing rows of this model for every relation to it instead of "
            "creating new ones (e.g. auth.User); repeatable.",
        )
        parser.add_argument("--factory", help="Dotted path of the factory to use.")
        parser.add_argument("--seed", type=int, help="Random seed: same seed, same data.")
        parser.add_argument("--locale", help="Faker locale.")
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="Use the bulk path (bulk_create in batches; no save() or signals).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity: int = options["verbosity"]
        count: int = options["count"]
        if count < 1:
            raise CommandError(f"COUNT must be at least 1, got {count}.")
        validate_locale(options["locale"])
        factory_class = self._factory(options["model"], options["factory"])
        relations = parse_with(options["with_"])
        try:
            recipe = factory_class.states(*options["state"])
            for name, n in relations:
                recipe.with_(name, n)  # checks the name and the count
        except SeedingError as exc:
            raise CommandError(str(exc)) from exc

        recycled = [self._rows_of(label) for label in options["recycle"]]
        started = time.perf_counter()
        try:
            with seeded(
                options["seed"], locale=options["locale"], progress=verbosity >= 1
            ) as session:
                if options["bulk"]:
                    rows = bulk_with(recipe, count, relations, recycled)
                else:
                    post_save.connect(count_saved, dispatch_uid="forge_seeding.factory_cmd")
                    try:
                        create_with(recipe, count, relations, recycled)
                    finally:
                        post_save.disconnect(dispatch_uid="forge_seeding.factory_cmd")
                    rows = dict(session.rows)
        except (SeedingError, DatabaseError) as exc:
            # Both paths write in one transaction, so nothing of this run was kept.
            raise CommandError(
                f"Creating {count} {adapter.model_of(factory_class)._meta.label} rows failed and "
                f"nothing was kept: {exc}"
            ) from exc
        seconds = max(time.perf_counter() - started, 1e-9)
        if verbosity >= 1:
            total = sum(rows.values())
            for label, n in sorted(rows.items()):
                self.stdout.write(f"  {label}  {n:,}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {total:,} rows with {factory_class.__name__} in {seconds:.2f}s "
                    f"({total / seconds * 60:,.0f} rows/min)"
                )
            )

    def _rows_of(self, label: str) -> Any:
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            raise CommandError(
                f"--recycle: unknown model {label!r}; use app_label.ModelName (e.g. auth.User)."
            ) from None
        return model._default_manager.all()

    def _factory(self, label: str, path: str | None) -> type[Factory]:
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            raise CommandError(
                f"Unknown model {label!r}; use app_label.ModelName (e.g. blog.Post)."
            ) from None
        if path:
            try:
                found = import_string(path)
            except ImportError as exc:
                raise CommandError(f"Cannot import factory {path!r}: {exc}") from exc
            if not (isinstance(found, type) and issubclass(found, Factory)):
                raise CommandError(f"{path!r} is not a forge_suite.seeding Factory.")
            if adapter.model_of(found) is not model:
                raise CommandError(f"{path!r} makes {adapter.model_of(found)}, not {label}.")
            return found
        autodiscover_modules("factories")
        candidates = factories_for(model)
        if not candidates:
            raise CommandError(
                f"No factory for {model._meta.label}: define a forge_suite.seeding.Factory with "
                f"Meta.model = {model.__name__} in {model._meta.app_config.name}.factories."
            )
        return candidates[0]
