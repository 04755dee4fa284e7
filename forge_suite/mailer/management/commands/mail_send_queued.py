"""Send due queued mail in this process (cron or a worker-less setup), and recover stale ones."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from forge_suite.mailer.models import OutboundEmail, Status
from forge_suite.mailer.outbox import send_queued
from forge_suite.mailer.queueing import recover_stale


class Command(BaseCommand):
    help = "Send queued mail now, in batches over one connection per mailer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="Send at most this many.")
        parser.add_argument(
            "--recover",
            action="store_true",
            help="First dispatch again the messages whose worker died mid-send.",
        )

    def handle(self, *args: Any, limit: int | None = None, **options: Any) -> None:
        if limit is not None and limit <= 0:
            raise CommandError("--limit must be a positive number")
        if options["recover"]:
            count = recover_stale()
            if options["verbosity"]:
                self.stdout.write(f"{count} stale message(s) dispatched again")
        total = OutboundEmail.objects.filter(status=Status.QUEUED).count()
        if limit is not None:
            total = min(total, limit)
        with tqdm(total=total, unit="mail", disable=options["verbosity"] < 1) as bar:

            def advance(count: int) -> None:
                bar.update(count)

            done = send_queued(limit=limit, progress=advance)
        failed = OutboundEmail.objects.filter(status=Status.FAILED).count()
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"{done} message(s) processed"))
        if failed and options["verbosity"] > 1:
            self.stdout.write(self.style.WARNING(f"{failed} message(s) failed in total"))
