"""The fluent schedule: timing, timezones, windows, conditions, locks and hooks.

Time is injected (``now=``/``nowfun``): nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings

from forge_suite.scheduling.exceptions import InvalidSchedule, UnknownScheduledEvent
from forge_suite.scheduling.locks import ExpiringLock
from forge_suite.scheduling.scheduler import Schedule, load_schedule, run_event

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = dt.UTC
RAN: list[Any] = []


def task(*args: Any) -> str:
    RAN.append(args)
    return "done"


def boom() -> None:
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def _clean() -> None:
    RAN.clear()
    cache.clear()


def event(schedule: Schedule | None = None) -> Any:
    return (schedule or Schedule()).call(task)


@pytest.mark.parametrize(
    ("build", "fields"),
    [
        (lambda e: e.cron("*/10 3 * * 1-5"), ("*/10", "3", "*", "*", "1-5")),
        (lambda e: e.hourly(), ("0", "*", "*", "*", "*")),
        (lambda e: e.hourly_at(17), ("17", "*", "*", "*", "*")),
        (lambda e: e.daily(), ("0", "0", "*", "*", "*")),
        (lambda e: e.daily_at("02:30"), ("30", "2", "*", "*", "*")),
        (lambda e: e.twice_daily(1, 13), ("0", "1,13", "*", "*", "*")),
        (lambda e: e.weekly_on("mon", "08:00"), ("0", "8", "*", "*", "1")),
        (lambda e: e.monthly_on(1, "00:00"), ("0", "0", "1", "*", "*")),
        (lambda e: e.daily_at("09:00").weekdays(), ("0", "9", "*", "*", "1-5")),
    ],
)
def test_fluent_timings_become_cron_fields(build: Any, fields: tuple[str, ...]) -> None:
    e = build(event())
    assert (e.minute, e.hour, e.day_of_month, e.month_of_year, e.day_of_week) == fields
    assert e.timing() == " ".join(fields)


def test_every_is_an_interval() -> None:
    e = event().every(minutes=5)
    assert e.interval == dt.timedelta(minutes=5)
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert e.next_run(now) == now + dt.timedelta(minutes=5)
    assert not e.is_due(now, now + dt.timedelta(minutes=4))
    assert e.is_due(now, now + dt.timedelta(minutes=5))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda e: e.cron("* * *"), "needs 5 fields"),
        (lambda e: e.cron("61 * * * *"), "invalid cron minute '61'"),
        (lambda e: e.daily_at("25:00"), "invalid time '25:00'"),
        (lambda e: e.weekly_on("someday", "08:00"), "invalid day 'someday'"),
        (lambda e: e.timezone("Mars/Olympus"), "unknown timezone 'Mars/Olympus'"),
        (lambda e: e.every(), "positive interval"),
        (lambda e: e.between("9am", "5pm"), "invalid time '9am'"),
        (lambda e: e.without_overlapping(expires=-5), "must be > 0"),
        (lambda e: e.named(" "), "cannot be empty"),
    ],
)
def test_bad_definitions_raise_invalid_schedule(build: Any, message: str) -> None:
    with pytest.raises(InvalidSchedule, match=message):
        build(event())


def test_daily_at_in_a_timezone_is_due_at_that_local_time() -> None:
    e = event().daily_at("02:00").timezone("Europe/Paris")
    last = dt.datetime(2026, 7, 1, 0, 30, tzinfo=PARIS)  # ran yesterday... or earlier today
    just_before = dt.datetime(2026, 7, 1, 1, 59, tzinfo=PARIS)
    at_two = dt.datetime(2026, 7, 1, 2, 0, tzinfo=PARIS)
    assert not e.is_due(last, just_before)
    assert e.is_due(last, at_two)
    # 02:00 in Paris is 00:00 UTC in summer: a UTC clock gives the same answer.
    assert e.is_due(last, at_two.astimezone(UTC))
    assert e.next_run(just_before) == at_two
    assert e.next_run(at_two).astimezone(UTC) == dt.datetime(2026, 7, 2, 0, 0, tzinfo=UTC)
    # In winter the same local time is 01:00 UTC.
    winter = e.next_run(dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert winter.astimezone(UTC) == dt.datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def test_weekly_and_monthly_next_runs() -> None:
    monday = event().weekly_on("mon", "08:00").timezone("UTC")
    # 2026-11-25 is a Wednesday: next Monday is 2026-11-30.
    wed = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert monday.next_run(wed) == dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    first = event().monthly_on(1, "00:00").timezone("UTC")
    assert first.next_run(wed) == dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert len(first.upcoming(3, wed)) == 3
    assert first.upcoming(3, wed)[-1] == dt.datetime(2027, 2, 1, 0, 0, tzinfo=UTC)


def test_between_and_unless_between_use_the_event_timezone() -> None:
    office = event().every_minute().timezone("Europe/Paris").between("09:00", "17:00")
    night = event().every_minute().timezone("Europe/Paris").unless_between("23:00", "06:00")
    at_10_paris = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    at_8_paris = dt.datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    assert office.filters_pass(at_10_paris) == (True, "")
    ok, reason = office.filters_pass(at_8_paris)
    assert not ok
    assert reason == "outside 09:00-17:00 (Europe/Paris)"
    assert night.filters_pass(at_10_paris)[0]
    assert not night.filters_pass(dt.datetime(2026, 1, 5, 0, 30, tzinfo=UTC))[0]  # 01:30 wraps


def test_when_and_skip_conditions() -> None:
    flag = {"on": False}
    e = event().when(lambda: flag["on"])
    assert run_event(e, now=dt.datetime(2026, 1, 1, tzinfo=UTC)).status == "skipped"
    flag["on"] = True
    assert run_event(e).status == "ran"
    skipper = event().skip(lambda: True)
    outcome = run_event(skipper)
    assert outcome.status == "skipped"
    assert outcome.reason.startswith("skip() condition")
    assert run_event(skipper, force=True).status == "ran"
    assert len(RAN) == 2


def test_hooks_run_on_success_and_failure() -> None:
    seen: list[Any] = []
    ok = event().on_success(lambda ev, result: seen.append(("ok", result)))
    run_event(ok)
    bad = Schedule().call(boom).on_failure(lambda ev, exc: seen.append(("failed", repr(exc))))
    with pytest.raises(RuntimeError):
        run_event(bad)
    assert seen == [("ok", "done"), ("failed", "RuntimeError('boom')")]


def test_without_overlapping_skips_while_the_lock_is_held_local_cache() -> None:
    e = event().named("locked").without_overlapping(expires=30)
    holder = ExpiringLock("overlap:locked", 30)
    assert holder.acquire()
    outcome = run_event(e)
    assert outcome.status == "skipped"
    assert "overlap lock" in outcome.reason
    holder.release()
    assert run_event(e).status == "ran"
    assert not holder.held(), "the run released its lock"


@pytest.mark.redis
def test_on_one_server_runs_once_per_due_time_with_redis(redis_client: Any, redis_url: str) -> None:
    settings = {"REDIS_URL": redis_url, "SCHEDULING": {"LOCK_PREFIX": redis_client.test_prefix}}
    with override_settings(FORGE=settings):
        e = event().named("single").on_one_server()
        slot = dt.datetime(2026, 3, 1, 4, 0, 12, tzinfo=UTC)
        assert run_event(e, now=slot).status == "ran"
        second = run_event(e, now=slot + dt.timedelta(seconds=20))  # another server, same slot
        assert second.status == "skipped"
        assert run_event(e, now=slot + dt.timedelta(minutes=1)).status == "ran"
    assert len(RAN) == 2
    assert redis_client.exists(f"{redis_client.test_prefix}server:single:202603010400")


def test_commands_and_jobs_as_targets() -> None:
    from tests.scheduling.test_jobs import add

    s = Schedule()
    s.command("check", "--deploy").daily()
    s.job(add, 2, 3).hourly()
    assert [e.name for e in s] == ["command check --deploy", add.name]
    assert run_event(s.get(add.name)).result == 5
    with pytest.raises(UnknownScheduledEvent, match="no scheduled event named 'nope'"):
        s.get("nope")
    with pytest.raises(InvalidSchedule, match="needs a @job or Celery task"):
        s.job(object())


def test_duplicate_names_are_rejected() -> None:
    s = Schedule()
    s.call(task).daily()
    s.call(task).hourly()
    with pytest.raises(InvalidSchedule, match="two scheduled events are named"):
        s.validate()


def test_load_schedule_discovers_schedule_modules_of_installed_apps() -> None:
    names = [e.name for e in load_schedule()]
    assert "housekeeping.cleanup_sessions" in names
    assert "housekeeping.digest" in names
    assert "scheduling.prune_history" in names
    digest = load_schedule().get("housekeeping.digest")
    assert digest.tz.key == "Europe/Paris"


def test_a_broken_schedule_module_is_named_in_the_error() -> None:
    with pytest.raises(InvalidSchedule, match=r"cannot import schedule module 'no\.such\.module'"):
        load_schedule(["no.such.module"])
    with pytest.raises(InvalidSchedule, match="must define a function schedule"):
        load_schedule(["tests.scheduling.jobs"])
