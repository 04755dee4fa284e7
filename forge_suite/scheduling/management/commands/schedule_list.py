"""``manage.py schedule_list``: the code schedule with next run times."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from forge_suite.scheduling.exceptions import SchedulingError
from forge_suite.scheduling.scheduler import load_schedule
from forge_suite.scheduling.sync import entry_name


class Command(BaseCommand):
    help = "List scheduled events with their timing and next run (in each event's timezone)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", default=None, help="ISO time to compute next runs from.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_celery_beat.models import PeriodicTask

        now = None
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None or now.tzinfo is None:
                raise CommandError(f"--now {options['now']!r}: use ISO 8601 with an offset")
        try:
            schedule = load_schedule()
        except SchedulingError as exc:
            raise CommandError(str(exc)) from exc
        if not len(schedule):
            self.stdout.write("No scheduled events.")
            return
        synced = dict(
            PeriodicTask.objects.filter(name__in=[entry_name(e) for e in schedule]).values_list(
                "name", "last_run_at"
            )
        )
        for event in schedule:
            flags = []
            if event.overlap_expires:
                flags.append(f"without overlapping ({event.overlap_expires}s)")
            if event.one_server:
                flags.append("one server")
            if event.windows or event.conditions:
                flags.append("conditional")
            name = entry_name(event)
            state = "not synced" if name not in synced else f"last run {synced[name] or 'never'}"
            self.stdout.write(
                f"{event.name}\n  {event.timing()} ({event.tz.key})  next: "
                f"{event.next_run(now):%Y-%m-%d %H:%M %Z}  [{state}]"
                + (f"\n  {', '.join(flags)}" if flags else "")
            )
