"""``manage.py jobs_retry <id>... | --all``: dispatch failed jobs again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from forge_suite.scheduling.exceptions import BrokerUnavailable, SchedulingError
from forge_suite.scheduling.failed import failed_jobs, retry_failed


class Command(BaseCommand):
    help = "Dispatch failed jobs again with their original arguments and queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="FailedJob ids.")
        parser.add_argument("--all", action="store_true", help="Retry every failed job.")

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[int] = options["ids"]
        if bool(ids) == bool(options["all"]):
            raise CommandError("give failed job ids or --all (not both)")
        if options["all"]:
            ids = list(failed_jobs().filter(retried_at__isnull=True).values_list("pk", flat=True))
        errors = sent = 0
        for pk in tqdm(ids, disable=options["verbosity"] < 1 or len(ids) < 10, unit="job"):
            try:
                task_id = retry_failed(pk)
            except BrokerUnavailable as exc:
                # Every further job would wait for the same dead broker: stop here.
                raise CommandError(
                    f"{exc} ({sent} of {len(ids)} failed jobs were dispatched before this)"
                ) from exc
            except SchedulingError as exc:
                errors += 1
                self.stderr.write(str(exc))
                continue
            sent += 1
            if options["verbosity"] >= 1:
                self.stdout.write(f"failed job {pk} dispatched again as {task_id}")
        if errors:
            raise CommandError(f"{errors} of {len(ids)} failed jobs could not be retried")
