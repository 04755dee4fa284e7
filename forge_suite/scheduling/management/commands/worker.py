"""``manage.py worker``: start a Celery worker for the project's queues."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.exceptions import SchedulingError
from forge_suite.scheduling.worker import (
    POOLS,
    WorkerOptions,
    describe,
    visibility_warnings,
    worker_argv,
)


class Command(BaseCommand):
    help = "Start a Celery worker for the project's queues (optionally with embedded beat)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues", "-Q", default="", help="Comma-separated queues (default: all known)."
        )
        parser.add_argument("--concurrency", "-c", type=int, default=None)
        parser.add_argument("--pool", "-P", default="prefork", choices=POOLS)
        parser.add_argument(
            "--beat", "-B", action="store_true", help="Embed beat (single-machine setups)."
        )
        parser.add_argument(
            "--no-sync",
            action="store_true",
            help="With --beat, do not run schedule_sync before starting.",
        )
        parser.add_argument("--loglevel", "-l", default="INFO")
        parser.add_argument("--hostname", "-n", default=None)
        parser.add_argument("--prefetch-multiplier", type=int, default=1)
        parser.add_argument("--max-tasks-per-child", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["concurrency"] is not None and options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")
        if options["prefetch_multiplier"] < 1:
            raise CommandError("--prefetch-multiplier must be at least 1")
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()]
        worker_options = WorkerOptions(
            queues=queues,
            concurrency=options["concurrency"],
            pool=options["pool"],
            beat=options["beat"],
            loglevel=options["loglevel"],
            hostname=options["hostname"],
            prefetch_multiplier=options["prefetch_multiplier"],
            max_tasks_per_child=options["max_tasks_per_child"],
        )
        try:
            summary = describe(worker_options)
            argv = worker_argv(worker_options)
        except (SchedulingError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for warning in visibility_warnings(queues or None):
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if options["beat"] and not options["no_sync"]:
            from forge_suite.scheduling.sync import sync_schedule

            report = sync_schedule()
            self.stdout.write(
                f"schedule synced: {len(report.created)} created, {len(report.updated)} "
                f"updated, {len(report.removed)} removed"
            )
        self.stdout.write(summary)
        self.stdout.flush()
        # worker_main() drops the worker's exit code; start() returns it.
        code: int | None = celery_app.start(argv)
        if code:
            raise SystemExit(code)
