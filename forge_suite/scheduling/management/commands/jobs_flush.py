"""``manage.py jobs_flush``: delete every failed job."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.scheduling.failed import flush_failed


class Command(BaseCommand):
    help = "Delete all failed jobs (or those older than --older-than days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=None, metavar="DAYS")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"]
        if days is not None and days < 0:
            raise CommandError("--older-than must be zero or more days")
        count = flush_failed(older_than_days=days)
        self.stdout.write(f"deleted {count} failed job(s)")
