"""``manage.py db_seed``: run the seeders for this environment."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from forge_suite.core.conf import current_environment
from forge_suite.seeding.exceptions import InvalidScale, SeedingError
from forge_suite.seeding.seeders import (
    MAX_SCALE,
    Seeder,
    check_scale,
    discover,
    ordered,
    registry,
    run_seeders,
)


def validate_locale(locale: str | None) -> None:
    if locale is None:
        return
    import faker.config

    if locale not in faker.config.AVAILABLE_LOCALES:
        close = [name for name in faker.config.AVAILABLE_LOCALES if name[:2] == locale[:2]]
        raise CommandError(
            f"Unknown locale {locale!r}. "
            + (f"Did you mean one of: {', '.join(sorted(close))}?" if close else "")
        )


class Command(BaseCommand):
    help = (
        "Seed the database: every seeder for the current environment (FORGE['ENVIRONMENT']), "
        "or --class NAME with its dependencies. Each seeder runs in its own transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--class",
            dest="classes",
            action="append",
            metavar="SEEDER",
            help="Run only this seeder (class name or dotted path) and its dependencies; "
            "repeatable.",
        )
        parser.add_argument(
            "--fresh", action="store_true", help="Flush the database first (asks to confirm)."
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            dest="interactive",
            action="store_false",
            help="Do not ask for confirmation.",
        )
        parser.add_argument("--seed", type=int, help="Random seed: same seed, same data.")
        parser.add_argument(
            "--force", action="store_true", help="Allow seeding the production environment."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Run the seeders and roll everything back; report what would be created.",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply the seeders' row counts (e.g. 100 for a large dataset; at most "
            f"{MAX_SCALE:,}).",
        )
        parser.add_argument("--locale", help="Faker locale (default FORGE['SEEDING']['LOCALE']).")
        parser.add_argument(
            "--environment", help="Seed as this environment instead of the current one."
        )
        parser.add_argument(
            "--list", action="store_true", help="List the seeders that would run, then exit."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity: int = options["verbosity"]
        environment: str = options["environment"] or current_environment()
        try:
            check_scale(options["scale"])
        except InvalidScale:
            raise CommandError(
                f"--scale must be positive, finite and at most {MAX_SCALE:,}, "
                f"got {options['scale']}."
            ) from None
        validate_locale(options["locale"])
        if environment == "production" and not options["force"]:
            raise CommandError(
                "Refusing to seed the production environment without --force. "
                "Seeding writes demo data; pass --force if you really mean it."
            )
        classes: list[str] | None = options["classes"]
        try:
            selected: list[type[Seeder]] | None = (
                [registry.get(name) for name in classes] if classes else None
            )
            plan = ordered(
                selected
                if selected is not None
                else [s for s in discover() if s.runs_in(environment)]
            )
        except SeedingError as exc:
            raise CommandError(str(exc)) from exc
        if options["list"]:
            for seeder in plan:
                envs = ", ".join(seeder.environments)
                self.stdout.write(f"{seeder.name()}  [{envs}]  {seeder.path()}")
            return
        if not plan:
            self.stdout.write(f"No seeders for the {environment!r} environment.")
            return

        if options["fresh"]:
            if options["dry_run"]:
                raise CommandError("--fresh and --dry-run cannot be combined.")
            if options["interactive"]:
                answer = input(
                    f"This will DELETE ALL DATA in the {options['database']!r} database and "
                    "seed it again.\nType 'yes' to continue, or 'no' to cancel: "
                )
                if answer.strip().lower() != "yes":
                    raise CommandError("Seeding cancelled; nothing was flushed.")
            call_command("flush", interactive=False, database=options["database"], verbosity=0)
            if verbosity:
                self.stdout.write("Flushed the database.")

        def announce(seeder: type[Seeder]) -> None:
            if verbosity >= 1:
                self.stdout.write(f"Seeding {seeder.name()} ...")

        try:
            report = run_seeders(
                selected,
                seed=options["seed"],
                environment=environment,
                force=options["force"],
                dry_run=options["dry_run"],
                scale=options["scale"],
                locale=options["locale"],
                using=options["database"],
                stdout=self.stdout,  # type: ignore[arg-type]
                verbosity=verbosity,
                progress=verbosity >= 1 and _progress_enabled(),
                on_start=announce,
            )
        except SeedingError as exc:
            raise CommandError(str(exc)) from exc

        if verbosity < 1:
            return
        rows = report.rows
        seconds = max(report.seconds, 1e-9)
        if verbosity >= 2:
            for seeder_report in report.seeders:
                self.stdout.write(
                    f"  {seeder_report.name}: {sum(seeder_report.rows.values())} rows "
                    f"in {seeder_report.seconds:.2f}s"
                )
        width = max((len(label) for label in rows), default=10)
        for label, count in rows.items():
            self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        verb = "Would create" if report.dry_run else "Created"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {report.total_rows:,} rows with {len(report.seeders)} seeder(s) in "
                f"{report.seconds:.2f}s ({report.total_rows / seconds * 60:,.0f} rows/min; "
                f"environment {report.environment}, seed {report.seed})"
            )
        )
        if report.dry_run:
            self.stdout.write("Dry run: everything was rolled back.")


def _progress_enabled() -> bool:
    from forge_suite.seeding.conf import app_settings

    return bool(app_settings.PROGRESS)
