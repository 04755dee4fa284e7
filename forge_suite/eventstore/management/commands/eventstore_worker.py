"""``manage.py eventstore_worker``: deliver the outbox and keep projections live."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.eventstore.conf import app_settings
from forge_suite.eventstore.exceptions import ProjectionError
from forge_suite.eventstore.projections import projector_class
from forge_suite.eventstore.worker import WorkerStats, run_worker


class Command(BaseCommand):
    help = "Deliver outbox messages and run projections (catch-up, then live)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "projections",
            nargs="*",
            help="Projection names (default: FORGE['EVENTSTORE']['PROJECTIONS']).",
        )
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")
        parser.add_argument("--no-outbox", action="store_true", help="Only run projections.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            names = options["projections"] or [cls.name for cls in app_settings.PROJECTIONS]
            projectors = [projector_class(name)() for name in names]
        except ProjectionError as exc:
            raise CommandError(str(exc)) from exc
        verbosity = options["verbosity"]

        def report(stats: WorkerStats) -> None:
            if verbosity >= 2 or options["once"]:
                self.stdout.write(
                    f"delivered={stats.delivered} retried={stats.retried} dead={stats.dead} "
                    f"projected={stats.projected}"
                )

        if verbosity >= 1:
            self.stdout.write(f"eventstore worker: projections={names or 'none'}")
        try:
            run_worker(
                projectors, outbox=not options["no_outbox"], once=options["once"], on_round=report
            )
        except KeyboardInterrupt:
            self.stdout.write("stopped")
