"""``manage.py schedule_test``: check the schedule and show what is due when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from forge_suite.scheduling.exceptions import SchedulingError
from forge_suite.scheduling.scheduler import load_schedule


class Command(BaseCommand):
    help = (
        "Load every schedule module, validate it and print each event's next runs; with --at, "
        "say which events are due at that moment and whether their conditions pass."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", default=None, help="ISO time with offset to test.")
        parser.add_argument("--count", type=int, default=3, help="Next runs to show per event.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["count"] < 1:
            raise CommandError("--count must be at least 1")
        at = None
        if options["at"]:
            at = parse_datetime(options["at"])
            if at is None or at.tzinfo is None:
                raise CommandError(f"--at {options['at']!r}: use ISO 8601 with an offset")
        try:
            schedule = load_schedule()
        except SchedulingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{len(schedule)} event(s) load and validate.")
        for event in schedule:
            runs = ", ".join(f"{t:%Y-%m-%d %H:%M %Z}" for t in event.upcoming(options["count"]))
            self.stdout.write(f"{event.name}: {event.timing()} ({event.tz.key}) -> {runs}")
            if at is not None:
                last = at - dt.timedelta(minutes=1)
                due = event.is_due(last, at) if event.interval is None else True
                ok, reason = event.filters_pass(at)
                verdict = "DUE" if due and ok else "not due" if not due else f"skipped: {reason}"
                local = timezone.localtime(at, event.tz)
                self.stdout.write(f"  at {local:%Y-%m-%d %H:%M %Z}: {verdict}")
