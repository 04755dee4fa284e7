"""``manage.py schedule_sync``: write the code schedule into django-celery-beat."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.scheduling.exceptions import SchedulingError
from forge_suite.scheduling.sync import sync_schedule


class Command(BaseCommand):
    help = "Create/update/remove the beat entries owned by the code schedule (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Show, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = sync_schedule(dry_run=options["dry_run"])
        except SchedulingError as exc:
            raise CommandError(str(exc)) from exc
        prefix = "would be " if options["dry_run"] else ""
        for label, names in (
            ("created", report.created),
            ("updated", report.updated),
            ("removed", report.removed),
        ):
            for name in names:
                self.stdout.write(f"{prefix}{label}: {name}")
        if options["verbosity"] >= 2:
            for name in report.unchanged:
                self.stdout.write(f"unchanged: {name}")
        self.stdout.write(
            f"{len(report.created)} {prefix}created, {len(report.updated)} {prefix}updated, "
            f"{len(report.removed)} {prefix}removed, {len(report.unchanged)} unchanged"
        )
