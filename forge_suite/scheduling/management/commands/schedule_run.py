"""``manage.py schedule_run <name>``: run a scheduled event now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.scheduling.exceptions import SchedulingError
from forge_suite.scheduling.publish import send_task
from forge_suite.scheduling.scheduler import RUNNER_TASK, load_schedule, run_event


class Command(BaseCommand):
    help = "Run a scheduled event now (in this process, or on a worker with --queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--respect-conditions",
            action="store_true",
            help="Apply between/when/skip conditions instead of forcing the run.",
        )
        parser.add_argument("--on-worker", action="store_true", help="Send it to a worker instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            event = load_schedule().get(options["name"])
        except SchedulingError as exc:
            raise CommandError(str(exc)) from exc
        if options["on_worker"]:
            kwargs: dict[str, Any] = {"queue": event.queue} if event.queue else {}
            try:
                result = send_task(RUNNER_TASK, args=[event.name], **kwargs)
            except SchedulingError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"sent {event.name} to a worker as {result.id}")
            return
        try:
            outcome = run_event(event, force=not options["respect_conditions"])
        except Exception as exc:
            raise CommandError(f"{event.name} failed: {exc!r}") from exc
        detail = f" ({outcome.reason})" if outcome.reason else ""
        self.stdout.write(f"{event.name}: {outcome.status}{detail}")
