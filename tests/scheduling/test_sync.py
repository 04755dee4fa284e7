"""schedule_sync writes the code schedule into django-celery-beat; beat evaluates it in time."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import textwrap
import zoneinfo
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from forge_suite.scheduling.scheduler import RUNNER_TASK, Schedule
from forge_suite.scheduling.sync import sync_schedule

pytestmark = pytest.mark.django_db
UTC = dt.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

MODULE = "forge_sched_tmp_schedule"

WITH_REPORT = """
from forge_suite.scheduling import Schedule
from example_project.housekeeping.tasks import job_digest

def schedule(schedule: Schedule) -> None:
    schedule.job(job_digest).daily_at("02:00").timezone("Europe/Paris").named("tmp.report")
    schedule.job(job_digest).every(minutes=5).named("tmp.poll")
"""

WITHOUT_REPORT = """
from forge_suite.scheduling import Schedule
from example_project.housekeeping.tasks import job_digest

def schedule(schedule: Schedule) -> None:
    schedule.job(job_digest).every(minutes=10).named("tmp.poll")
"""


@pytest.fixture
def code_schedule(tmp_path: Path) -> Iterator[Any]:
    """A schedule module on disk that the test edits like a developer would."""
    sys.path.insert(0, str(tmp_path))
    path = tmp_path / f"{MODULE}.py"

    def write(source: str) -> None:
        path.write_text(textwrap.dedent(source))
        sys.modules.pop(MODULE, None)
        importlib.invalidate_caches()

    with override_settings(FORGE={"SCHEDULING": {"SCHEDULE_MODULES": [MODULE]}}):
        yield write
    sys.path.remove(str(tmp_path))
    sys.modules.pop(MODULE, None)


def sync(*args: str) -> str:
    out = StringIO()
    call_command("schedule_sync", *args, stdout=out)
    return out.getvalue()


def test_schedule_appears_after_sync_runs_on_time_in_its_timezone_and_goes_when_removed(
    code_schedule: Any,
) -> None:
    code_schedule(WITH_REPORT)
    output = sync()
    assert "created: forge:tmp.report" in output
    assert "created: forge:housekeeping.cleanup_sessions" in output  # autodiscovered app
    entry = PeriodicTask.objects.get(name="forge:tmp.report")
    assert entry.task == RUNNER_TASK
    assert entry.args == '["tmp.report"]'
    assert entry.crontab is not None
    assert (entry.crontab.minute, entry.crontab.hour) == ("0", "2")
    assert str(entry.crontab.timezone) == "Europe/Paris"

    # Beat's own schedule object for the row, driven by a controllable clock.
    beat_schedule = entry.schedule
    clock = {"now": dt.datetime(2026, 7, 1, 1, 59, tzinfo=PARIS)}
    beat_schedule.nowfun = lambda: clock["now"]
    last_run = dt.datetime(2026, 6, 30, 2, 0, tzinfo=PARIS)
    due, _ = beat_schedule.is_due(last_run)
    assert not due, "not due a minute before 02:00 Paris time"
    clock["now"] = dt.datetime(2026, 7, 1, 0, 0, tzinfo=UTC)  # == 02:00 in Paris (CEST)
    due, _ = beat_schedule.is_due(last_run)
    assert due, "due at 02:00 Paris time, whatever the clock's own zone"
    clock["now"] = dt.datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # 02:00 UTC is 04:00 Paris
    due, next_check = beat_schedule.is_due(dt.datetime(2026, 7, 1, 2, 0, tzinfo=PARIS))
    assert not due
    assert next_check == pytest.approx(22 * 3600, abs=60)  # until 02:00 Paris tomorrow

    poll = PeriodicTask.objects.get(name="forge:tmp.poll")
    assert poll.interval is not None
    assert (poll.interval.every, poll.interval.period) == (300, IntervalSchedule.SECONDS)

    # Idempotent: a second sync changes nothing.
    assert "0 created, 0 updated, 0 removed" in sync()

    # The developer removes the report and slows the poll down.
    code_schedule(WITHOUT_REPORT)
    output = sync()
    assert "removed: forge:tmp.report" in output
    assert "updated: forge:tmp.poll" in output
    assert not PeriodicTask.objects.filter(name="forge:tmp.report").exists()
    assert PeriodicTask.objects.get(name="forge:tmp.poll").interval.every == 600


def test_sync_never_touches_user_made_entries(code_schedule: Any) -> None:
    crontab = CrontabSchedule.objects.create(minute="5", hour="*")
    mine = PeriodicTask.objects.create(
        name="my own task", task="myapp.tasks.thing", crontab=crontab
    )
    code_schedule(WITH_REPORT)
    sync()
    code_schedule(WITHOUT_REPORT)
    sync()
    mine.refresh_from_db()
    assert mine.task == "myapp.tasks.thing"
    assert mine.enabled


def test_a_user_entry_using_the_runner_task_under_its_own_name_is_left_alone(
    code_schedule: Any,
) -> None:
    from forge_suite.scheduling.sync import RUNNER_TASK

    crontab = CrontabSchedule.objects.create(minute="7", hour="*")
    mine = PeriodicTask.objects.create(name="my runner entry", task=RUNNER_TASK, crontab=crontab)
    code_schedule(WITH_REPORT)
    sync()
    code_schedule(WITHOUT_REPORT)
    sync()
    assert PeriodicTask.objects.filter(pk=mine.pk).exists()


def test_a_user_entry_with_a_clashing_name_is_an_error_not_overwritten(code_schedule: Any) -> None:
    crontab = CrontabSchedule.objects.create(minute="5", hour="*")
    PeriodicTask.objects.create(name="forge:tmp.poll", task="myapp.tasks.thing", crontab=crontab)
    code_schedule(WITH_REPORT)
    with pytest.raises(CommandError, match="created by hand"):
        sync()
    assert PeriodicTask.objects.get(name="forge:tmp.poll").task == "myapp.tasks.thing"
    assert not PeriodicTask.objects.filter(name="forge:tmp.report").exists(), "all or nothing"


def test_dry_run_changes_nothing() -> None:
    output = sync("--dry-run")
    assert "would be created: forge:housekeeping.digest" in output
    assert not PeriodicTask.objects.exists()


def test_sync_schedule_api_with_an_explicit_schedule() -> None:
    s = Schedule()
    s.command("clearsessions").weekly_on("sun", "04:00").named("sessions")
    report = sync_schedule(s)
    assert report.created == ["forge:sessions"]
    assert sync_schedule(s).unchanged == ["forge:sessions"]
    assert sync_schedule(Schedule()).removed == ["forge:sessions"]
