"""``manage.py jobs_forget <id>...``: delete failed jobs without running them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.scheduling.exceptions import FailedJobNotFound
from forge_suite.scheduling.failed import forget_failed


class Command(BaseCommand):
    help = "Delete failed jobs by id without running them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="+", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        missing = []
        for pk in options["ids"]:
            try:
                forget_failed(pk)
            except FailedJobNotFound:
                missing.append(str(pk))
                continue
            if options["verbosity"] >= 1:
                self.stdout.write(f"forgot failed job {pk}")
        if missing:
            raise CommandError(f"no failed job with id {', '.join(missing)}")
