"""``manage.py jobs_failed``: list failed jobs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.scheduling.failed import failed_jobs


class Command(BaseCommand):
    help = "List jobs that exhausted their retries (newest first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--task", default="", help="Only this task name.")
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        queryset = failed_jobs()
        if options["task"]:
            queryset = queryset.filter(task_name=options["task"])
        rows = list(queryset[: options["limit"]])
        if not rows:
            self.stdout.write("No failed jobs.")
            return
        self.stdout.write(f"{'ID':>6}  {'FAILED AT':<20} {'QUEUE':<10} {'TASK':<40} EXCEPTION")
        for item in rows:
            retried = f" (retried {item.retry_count}x)" if item.retry_count else ""
            self.stdout.write(
                f"{item.pk:>6}  {item.failed_at:%Y-%m-%d %H:%M:%S}  {item.queue:<10} "
                f"{item.task_name:<40} {item.exception[:80]}{retried}"
            )
