"""The fluent schedule: events defined in code, evaluated with an injectable clock.

Each installed app may have a ``schedule.py`` with a function ``schedule(schedule)``::

    from forge_suite.scheduling import Schedule

    def schedule(schedule: Schedule) -> None:
        schedule.job(cleanup).daily_at("02:00").timezone("Europe/Paris").without_overlapping()
        schedule.command("clearsessions").weekly_on("mon", "08:00")

``manage.py schedule_sync`` writes the events into django-celery-beat's tables; beat then sends
``forge_scheduling.run_event(<name>)`` at the right times and :func:`run_event` applies the
conditions, time windows, locks and hooks before running the target.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import threading
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from celery.schedules import crontab_parser
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.signals import setting_changed
from django.utils import timezone
from django.utils.module_loading import import_string, module_has_submodule

from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.exceptions import InvalidSchedule, UnknownScheduledEvent
from forge_suite.scheduling.locks import ExpiringLock

__all__ = [
    "RUNNER_TASK",
    "Event",
    "EventOutcome",
    "Schedule",
    "get_schedule",
    "load_schedule",
    "run_event",
]

#: The Celery task beat sends for every event of the code schedule.
RUNNER_TASK = "forge_scheduling.run_event"

_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _parse_time(value: str) -> tuple[int, int]:
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise InvalidSchedule(f"invalid time {value!r}: expected HH:MM such as '02:00'")
    return int(match.group(1)), int(match.group(2))


def _day(value: str | int) -> str:
    if isinstance(value, int) and 0 <= value <= 6:
        return str(value)
    key = str(value).strip().lower()[:3]
    if key not in _DAYS:
        raise InvalidSchedule(f"invalid day {value!r}: use mon, tue, wed, thu, fri, sat or sun")
    return str(_DAYS[key])


def _default_tz() -> str:
    return str(getattr(settings, "CELERY_TIMEZONE", None) or settings.TIME_ZONE or "UTC")


@dataclass
class EventOutcome:
    """What :func:`run_event` did: ``status`` is ``ran``, ``skipped`` or ``failed``."""

    name: str
    status: str
    reason: str = ""
    result: Any = None


class Event:
    """One scheduled event: what to run, when, and under which conditions."""

    def __init__(self, kind: str, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]):
        self.kind = kind
        self.target = target
        self.args = args
        self.kwargs = kwargs
        self.name = self._default_name()
        self.minute, self.hour, self.day_of_week = "*", "*", "*"
        self.day_of_month, self.month_of_year = "*", "*"
        self.interval: dt.timedelta | None = None
        self.tz_name: str | None = None
        self.queue: str | None = None
        self.description = ""
        self.windows: list[tuple[dt.time, dt.time, bool]] = []
        self.conditions: list[tuple[Callable[[], bool], bool]] = []
        self.overlap_expires: int | None = None
        self.one_server = False
        self.success_hooks: list[Callable[[Event, Any], Any]] = []
        self.failure_hooks: list[Callable[[Event, BaseException], Any]] = []

    def _default_name(self) -> str:
        if self.kind == "command":
            return " ".join(["command", str(self.target), *map(str, self.args)])
        if self.kind == "job":
            return str(self.target.name)
        return f"{self.target.__module__}.{self.target.__qualname__}"

    def __repr__(self) -> str:
        return f"<Event {self.name!r} {self.timing()} {self.tz}>"

    # -- naming and routing ------------------------------------------------------------
    def named(self, name: str) -> Event:
        """Give the event a stable name (used by beat, schedule_run and the admin)."""
        if not name or not name.strip():
            raise InvalidSchedule("an event name cannot be empty")
        self.name = name.strip()
        return self

    def describe(self, text: str) -> Event:
        self.description = text
        return self

    def on_queue(self, queue: str) -> Event:
        """Queue the runner message for this event goes to."""
        self.queue = queue
        return self

    # -- timing ---------------------------------------------------------------------
    def _set_cron(
        self,
        minute: str = "*",
        hour: str = "*",
        day_of_month: str = "*",
        month_of_year: str = "*",
        day_of_week: str = "*",
    ) -> Event:
        fields = {
            "minute": (minute, 60, 0),
            "hour": (hour, 24, 0),
            "day_of_month": (day_of_month, 31, 1),
            "month_of_year": (month_of_year, 12, 1),
            "day_of_week": (day_of_week, 7, 0),
        }
        for field_name, (value, max_, min_) in fields.items():
            try:
                crontab_parser(max_, min_).parse(str(value))
            except Exception as exc:
                raise InvalidSchedule(
                    f"event {self.name!r}: invalid cron {field_name} {value!r} ({exc})"
                ) from None
        self.minute, self.hour = str(minute), str(hour)
        self.day_of_month, self.month_of_year = str(day_of_month), str(month_of_year)
        self.day_of_week = str(day_of_week)
        self.interval = None
        return self

    def cron(self, expression: str) -> Event:
        """A five-field cron expression: minute hour day-of-month month day-of-week."""
        parts = expression.split()
        if len(parts) != 5:
            raise InvalidSchedule(
                f"event {self.name!r}: cron {expression!r} needs 5 fields "
                "(minute hour day-of-month month day-of-week)"
            )
        return self._set_cron(*parts)

    def every(self, *, seconds: int = 0, minutes: int = 0, hours: int = 0, days: int = 0) -> Event:
        """A fixed interval, e.g. ``every(minutes=5)``."""
        delta = dt.timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        if delta.total_seconds() <= 0:
            raise InvalidSchedule(f"event {self.name!r}: every() needs a positive interval")
        self.interval = delta
        return self

    def every_minute(self) -> Event:
        return self._set_cron()

    def hourly(self) -> Event:
        return self._set_cron(minute="0")

    def hourly_at(self, minute: int) -> Event:
        return self._set_cron(minute=str(minute))

    def daily(self) -> Event:
        return self._set_cron(minute="0", hour="0")

    def daily_at(self, time: str) -> Event:
        hour, minute = _parse_time(time)
        return self._set_cron(minute=str(minute), hour=str(hour))

    def twice_daily(self, first: int = 1, second: int = 13, minute: int = 0) -> Event:
        return self._set_cron(minute=str(minute), hour=f"{first},{second}")

    def weekly(self) -> Event:
        return self._set_cron(minute="0", hour="0", day_of_week="0")

    def weekly_on(self, day: str | int, time: str = "00:00") -> Event:
        hour, minute = _parse_time(time)
        return self._set_cron(minute=str(minute), hour=str(hour), day_of_week=_day(day))

    def weekdays(self) -> Event:
        self.day_of_week = "1-5"
        return self

    def weekends(self) -> Event:
        self.day_of_week = "0,6"
        return self

    def monthly(self) -> Event:
        return self._set_cron(minute="0", hour="0", day_of_month="1")

    def monthly_on(self, day: int = 1, time: str = "00:00") -> Event:
        hour, minute = _parse_time(time)
        return self._set_cron(minute=str(minute), hour=str(hour), day_of_month=str(day))

    def timezone(self, name: str) -> Event:
        """Evaluate the cron fields and time windows in timezone ``name``."""
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidSchedule(f"event {self.name!r}: unknown timezone {name!r}") from None
        self.tz_name = name
        return self

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz_name or _default_tz())

    def timing(self) -> str:
        """Human-readable timing: cron fields or the interval."""
        if self.interval is not None:
            return f"every {int(self.interval.total_seconds())}s"
        fields = (self.minute, self.hour, self.day_of_month, self.month_of_year, self.day_of_week)
        return " ".join(fields)

    # -- conditions -------------------------------------------------------------------
    def between(self, start: str, end: str) -> Event:
        """Only run when the local time is within ``start``-``end`` (may wrap midnight)."""
        self.windows.append((dt.time(*_parse_time(start)), dt.time(*_parse_time(end)), True))
        return self

    def unless_between(self, start: str, end: str) -> Event:
        """Do not run when the local time is within ``start``-``end``."""
        self.windows.append((dt.time(*_parse_time(start)), dt.time(*_parse_time(end)), False))
        return self

    def when(self, condition: Callable[[], bool]) -> Event:
        """Only run when ``condition()`` is true at run time."""
        self.conditions.append((condition, True))
        return self

    def skip(self, condition: Callable[[], bool]) -> Event:
        """Do not run when ``condition()`` is true at run time."""
        self.conditions.append((condition, False))
        return self

    def without_overlapping(self, expires: int | None = None) -> Event:
        """Skip a run while the previous one still holds the lock (expires after ``expires`` s)."""
        if expires is not None and expires <= 0:
            raise InvalidSchedule(f"event {self.name!r}: without_overlapping(expires) must be > 0")
        self.overlap_expires = expires or app_settings.DEFAULT_LOCK_EXPIRES
        return self

    def on_one_server(self) -> Event:
        """Run once per due time even when several beats/workers receive it."""
        self.one_server = True
        return self

    def on_success(self, hook: Callable[[Event, Any], Any]) -> Event:
        self.success_hooks.append(hook)
        return self

    def on_failure(self, hook: Callable[[Event, BaseException], Any]) -> Event:
        self.failure_hooks.append(hook)
        return self

    # -- evaluation ------------------------------------------------------------------
    def celery_schedule(self, now: Callable[[], dt.datetime] | None = None) -> Any:
        """The Celery schedule object beat uses for this event, with an optional clock."""
        if self.interval is not None:
            from celery.schedules import schedule

            return schedule(run_every=self.interval, nowfun=now)
        from django_celery_beat.tzcrontab import TzAwareCrontab

        cron = TzAwareCrontab(
            minute=self.minute,
            hour=self.hour,
            day_of_week=self.day_of_week,
            day_of_month=self.day_of_month,
            month_of_year=self.month_of_year,
            tz=self.tz,
        )
        if now is not None:
            cron.nowfun = lambda: now().astimezone(self.tz)
        return cron

    def is_due(self, last_run_at: dt.datetime, now: dt.datetime) -> bool:
        """Whether beat would send the event at ``now`` given it last ran at ``last_run_at``."""
        due, _ = self.celery_schedule(lambda: now).is_due(last_run_at)
        return bool(due)

    def next_run(self, now: dt.datetime | None = None) -> dt.datetime:
        """The first due time strictly after ``now``, in the event's timezone."""
        now = (now or timezone.now()).astimezone(self.tz)
        if self.interval is not None:
            return now + self.interval
        last, delta, _ = self.celery_schedule(lambda: now).remaining_delta(now)
        result: dt.datetime = (last + delta).astimezone(self.tz)
        return result

    def upcoming(self, count: int, now: dt.datetime | None = None) -> list[dt.datetime]:
        times, moment = [], now or timezone.now()
        for _ in range(count):
            moment = self.next_run(moment)
            times.append(moment)
        return times

    def filters_pass(self, now: dt.datetime) -> tuple[bool, str]:
        """Apply time windows and when/skip conditions at ``now``; say why not if not."""
        local = now.astimezone(self.tz).time().replace(second=0, microsecond=0)
        for start, end, inside in self.windows:
            within = start <= local <= end if start <= end else local >= start or local <= end
            if within != inside:
                word = "outside" if inside else "inside"
                return False, f"{word} {start:%H:%M}-{end:%H:%M} ({self.tz.key})"
        for condition, expected in self.conditions:
            if bool(condition()) != expected:
                kind = "when" if expected else "skip"
                return False, f"{kind}() condition {getattr(condition, '__name__', condition)}"
        return True, ""

    def invoke(self) -> Any:
        """Run the target in this process."""
        if self.kind == "command":
            return call_command(self.target, *self.args, **self.kwargs)
        if self.kind == "job":
            return self.target.task.run(*self.args, **self.kwargs)
        return self.target(*self.args, **self.kwargs)


class Schedule:
    """The set of events defined by the schedule modules."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def _add(self, event: Event) -> Event:
        self.events.append(event)
        return event

    def job(self, job: Any, *args: Any, **kwargs: Any) -> Event:
        """Schedule a ``@job`` (or a Celery task); it runs inside the event's runner task."""
        from forge_suite.scheduling.jobs import Job

        if not isinstance(job, Job):
            if not hasattr(job, "run") or not hasattr(job, "name"):
                raise InvalidSchedule(f"schedule.job() needs a @job or Celery task, got {job!r}")
            job = Job(job)
        return self._add(Event("job", job, args, kwargs))

    def call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Event:
        """Schedule a plain callable."""
        if not callable(func):
            raise InvalidSchedule(f"schedule.call() needs a callable, got {func!r}")
        return self._add(Event("call", func, args, kwargs))

    def command(self, name: str, *args: Any, **options: Any) -> Event:
        """Schedule a management command, e.g. ``command("clearsessions")``."""
        return self._add(Event("command", name, args, options))

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def get(self, name: str) -> Event:
        for event in self.events:
            if event.name == name:
                return event
        known = ", ".join(sorted(e.name for e in self.events)) or "none"
        raise UnknownScheduledEvent(f"no scheduled event named {name!r} (defined: {known})")

    def validate(self) -> None:
        """Raise InvalidSchedule on duplicate names."""
        seen: set[str] = set()
        for event in self.events:
            if event.name in seen:
                raise InvalidSchedule(
                    f"two scheduled events are named {event.name!r}: give one a name with "
                    ".named('...')"
                )
            seen.add(event.name)


def schedule_modules() -> list[str]:
    """Modules that define the schedule: each app's ``schedule`` plus ``SCHEDULE_MODULES``."""
    names: list[str] = []
    if app_settings.AUTODISCOVER:
        for config in apps.get_app_configs():
            if module_has_submodule(config.module, "schedule"):
                names.append(f"{config.name}.schedule")
    names += [m for m in app_settings.SCHEDULE_MODULES if m not in names]
    return names


def load_schedule(modules: list[str] | None = None) -> Schedule:
    """Build a fresh Schedule by calling ``schedule(schedule)`` in every schedule module."""
    result = Schedule()
    for name in schedule_modules() if modules is None else modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise InvalidSchedule(f"cannot import schedule module {name!r}: {exc}") from exc
        define = getattr(module, "schedule", None)
        if not callable(define):
            raise InvalidSchedule(
                f"schedule module {name!r} must define a function schedule(schedule)"
            )
        define(result)
    result.validate()
    return result


_cached: Schedule | None = None
_cache_lock = threading.Lock()


def get_schedule() -> Schedule:
    """The process-wide schedule (loaded once; reloaded when FORGE settings change)."""
    global _cached
    with _cache_lock:
        if _cached is None:
            _cached = load_schedule()
        return _cached


def _reset(*, setting: str, **kwargs: Any) -> None:
    global _cached
    if setting in {"FORGE", "INSTALLED_APPS"}:
        _cached = None


def connect() -> None:
    """Reload the schedule when settings change (called from ``SchedulingConfig.ready()``)."""
    setting_changed.connect(_reset, dispatch_uid="forge_scheduling.schedule_reset")


def run_event(
    event: Event | str,
    *,
    now: dt.datetime | None = None,
    force: bool = False,
    slot_at: dt.datetime | None = None,
    dispatch: bool = False,
) -> EventOutcome:
    """Run one event now: check windows and conditions (unless ``force``), take the locks,
    call the target and the hooks. A failing target re-raises after the failure hooks.

    ``slot_at`` (the moment beat sent the event) claims the event's slot first, so a second
    message for the same due time (a restarted beat) is skipped; see :mod:`.slots`.
    ``dispatch`` sends a ``schedule.job()`` event's job to its own queue instead of running it
    here (status ``dispatched``); its hooks run when the job is done, see :mod:`.eventjobs`."""
    from forge_suite.scheduling.signals import scheduled_event_finished

    if isinstance(event, str):
        event = get_schedule().get(event)
    now = now or timezone.now()
    if not force:
        ok, reason = event.filters_pass(now)
        if not ok:
            return _finish(event, "skipped", reason)
    if slot_at is not None and not force:
        from forge_suite.scheduling.slots import claim_slot

        if not claim_slot(event, slot_at):
            return _finish(event, "skipped", "this slot already ran (duplicate message)")
    locks: list[ExpiringLock] = []
    try:
        if event.one_server:
            slot = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M")
            lock = ExpiringLock(f"server:{event.name}:{slot}", app_settings.DEFAULT_LOCK_EXPIRES)
            if not lock.acquire():
                return _finish(event, "skipped", "already ran on another server")
            lock.acquired = False  # the per-slot marker stays until it expires
        if event.overlap_expires:
            lock = ExpiringLock(f"overlap:{event.name}", event.overlap_expires)
            if not lock.acquire():
                return _finish(event, "skipped", "previous run still holds the overlap lock")
            locks.append(lock)
        if dispatch and event.kind == "job":
            from forge_suite.scheduling.eventjobs import dispatch_event_job

            task_id = dispatch_event_job(event, locks[0] if locks else None)
            locks.clear()  # the job holds the overlap lock now and releases it when done
            return _finish(event, "dispatched", f"as job {task_id}")
        try:
            result = event.invoke()
        except Exception as exc:
            for failure_hook in event.failure_hooks:
                failure_hook(event, exc)
            scheduled_event_finished.send(
                sender=Event, event=event, status="failed", reason=repr(exc)
            )
            raise
        for success_hook in event.success_hooks:
            success_hook(event, result)
        outcome = _finish(event, "ran", "", result)
        return outcome
    finally:
        for lock in locks:
            lock.release()


def _finish(event: Event, status: str, reason: str, result: Any = None) -> EventOutcome:
    from forge_suite.scheduling.signals import scheduled_event_finished

    scheduled_event_finished.send(sender=Event, event=event, status=status, reason=reason)
    return EventOutcome(event.name, status, reason, result)


def resolve_callable(path: str) -> Callable[..., Any]:
    """Import a dotted path (used by commands that accept hooks or targets by name)."""
    target: Callable[..., Any] = import_string(path)
    return target
