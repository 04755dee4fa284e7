"""Write the code schedule into django-celery-beat's tables.

Entries this module owns are the ``PeriodicTask`` rows whose task is
:data:`~forge_suite.scheduling.scheduler.RUNNER_TASK`; they are named ``forge:<event name>``.
Syncing is idempotent, removes owned entries whose event is gone from code and never touches
entries a user created (a user entry with a clashing name is an error, not overwritten).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from django.db import transaction

from forge_suite.scheduling.exceptions import InvalidSchedule
from forge_suite.scheduling.scheduler import RUNNER_TASK, Event, Schedule, load_schedule

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_celery_beat.models import PeriodicTask

__all__ = ["ENTRY_PREFIX", "SyncReport", "entry_name", "owned_entries", "sync_schedule"]

ENTRY_PREFIX = "forge:"


def entry_name(event: Event) -> str:
    return f"{ENTRY_PREFIX}{event.name}"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


def owned_entries() -> QuerySet[PeriodicTask]:
    """The django-celery-beat PeriodicTask rows managed by the code schedule."""
    from django_celery_beat.models import PeriodicTask

    # The name prefix as well as the task: an entry made by hand with the runner task is the user's.
    # django-celery-beat ships no type hints, so its manager's filter() is Any to mypy.
    return cast(
        "QuerySet[PeriodicTask]",
        PeriodicTask.objects.filter(task=RUNNER_TASK, name__startswith="forge:"),
    )


def _desired(event: Event) -> dict[str, object]:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule

    values: dict[str, object] = {
        "task": RUNNER_TASK,
        "args": json.dumps([event.name]),
        "kwargs": "{}",
        "queue": event.queue,
        "description": event.description or f"{event.kind}: {event.name}",
        "enabled": True,
        "crontab": None,
        "interval": None,
    }
    if event.interval is not None:
        values["interval"], _ = IntervalSchedule.objects.get_or_create(
            every=int(event.interval.total_seconds()), period=IntervalSchedule.SECONDS
        )
    else:
        values["crontab"], _ = CrontabSchedule.objects.get_or_create(
            minute=event.minute,
            hour=event.hour,
            day_of_week=event.day_of_week,
            day_of_month=event.day_of_month,
            month_of_year=event.month_of_year,
            timezone=event.tz,
        )
    return values


def sync_schedule(schedule: Schedule | None = None, *, dry_run: bool = False) -> SyncReport:
    """Make django-celery-beat's entries match ``schedule`` (default: the code schedule)."""
    from django_celery_beat.models import PeriodicTask

    schedule = schedule if schedule is not None else load_schedule()
    schedule.validate()
    report = SyncReport()
    with transaction.atomic():
        wanted = {entry_name(event): event for event in schedule}
        clashes = PeriodicTask.objects.filter(name__in=wanted).exclude(task=RUNNER_TASK)
        clash = clashes.values_list("name", flat=True).first()
        if clash:
            raise InvalidSchedule(
                f"a periodic task named {clash!r} was created by hand; rename it or the "
                "scheduled event"
            )
        existing = {entry.name: entry for entry in owned_entries()}
        for name, event in wanted.items():
            values = _desired(event)
            entry = existing.get(name)
            if entry is None:
                report.created.append(name)
                if not dry_run:
                    PeriodicTask.objects.create(name=name, **values)
                continue
            differs = [k for k, v in values.items() if getattr(entry, k) != v]
            if not differs:
                report.unchanged.append(name)
                continue
            report.updated.append(name)
            if not dry_run:
                for key, value in values.items():
                    setattr(entry, key, value)
                entry.save()
        for name, entry in existing.items():
            if name not in wanted:
                report.removed.append(name)
                if not dry_run:
                    entry.delete()  # one by one so beat's change tracking sees it
        if dry_run:
            transaction.set_rollback(True)
    return report
