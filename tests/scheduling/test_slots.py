"""At most one run per scheduled slot, also when beat restarts and sends an event again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.history import ENQUEUED_HEADER
from forge_suite.scheduling.models import ScheduleSlot
from forge_suite.scheduling.scheduler import RUNNER_TASK, load_schedule
from forge_suite.scheduling.slots import slot_of
from forge_suite.scheduling.sync import sync_schedule
from tests.scheduling import slot_schedule

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture(params=["database", "redis"])
def slot_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with the database claims and with Redis claims."""
    forge: dict[str, Any] = {
        "SCHEDULING": {
            "SCHEDULE_MODULES": ["tests.scheduling.slot_schedule"],
            "AUTODISCOVER": False,
        }
    }
    if request.param == "redis":
        client = request.getfixturevalue("redis_client")
        forge["REDIS_URL"] = request.getfixturevalue("redis_url")
        forge["SCHEDULING"]["LOCK_PREFIX"] = client.test_prefix
    slot_schedule.RUNS.clear()
    with override_settings(FORGE=forge):
        yield request.param
    slot_schedule.RUNS.clear()


def send_runner(name: str, sent_at: dt.datetime) -> dict[str, Any]:
    """What a worker does with one message beat published at ``sent_at``."""
    task = celery_app.tasks[RUNNER_TASK]
    result = task.apply(args=[name], headers={ENQUEUED_HEADER: sent_at.timestamp()})
    return dict(result.get())


def test_the_slot_of_a_cron_event_is_its_latest_due_time() -> None:
    event = load_schedule(["tests.scheduling.slot_schedule"]).get("tests.slot_daily")
    slot, period = slot_of(event, dt.datetime(2026, 11, 23, 3, 0, 40, tzinfo=UTC)) or (None, None)
    assert slot == dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    assert period == dt.timedelta(days=1)
    # Hours later (a beat that was down) it is still the same slot.
    later = slot_of(event, dt.datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    assert later is not None
    assert later[0] == slot
    before = slot_of(event, dt.datetime(2026, 11, 23, 2, 59, tzinfo=UTC))
    assert before is not None
    assert before[0] == dt.datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_the_slot_of_an_interval_event_is_its_aligned_bucket() -> None:
    event = load_schedule(["tests.scheduling.slot_schedule"]).get("tests.slot_interval")
    found = slot_of(event, dt.datetime(2026, 11, 23, 3, 7, 12, tzinfo=UTC))
    assert found == (dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC), dt.timedelta(minutes=10))


def test_a_second_message_for_the_same_slot_is_skipped(slot_store: str) -> None:
    first = send_runner("tests.slot_daily", dt.datetime(2026, 11, 23, 3, 0, 1, tzinfo=UTC))
    # The beat restarted and sent the event again 40 s later: same slot.
    again = send_runner("tests.slot_daily", dt.datetime(2026, 11, 23, 3, 0, 41, tzinfo=UTC))
    next_day = send_runner("tests.slot_daily", dt.datetime(2026, 11, 24, 3, 0, 2, tzinfo=UTC))
    assert first["status"] == "ran"
    assert again == {
        "event": "tests.slot_daily",
        "status": "skipped",
        "reason": "this slot already ran (duplicate message)",
    }
    assert next_day["status"] == "ran"
    assert slot_schedule.RUNS == ["daily", "daily"]
    if slot_store == "database":
        assert ScheduleSlot.objects.filter(event="tests.slot_daily").count() == 2


def test_interval_events_run_once_per_bucket(slot_store: str) -> None:
    base = dt.datetime(2026, 11, 23, 3, 0, 5, tzinfo=UTC)
    statuses = [
        send_runner("tests.slot_interval", base + dt.timedelta(seconds=offset))["status"]
        for offset in (0, 40, 600, 650)
    ]
    assert statuses == ["ran", "skipped", "ran", "skipped"]


def test_schedule_run_forces_a_run_without_claiming_the_slot(slot_store: str) -> None:
    from django.core.management import call_command

    call_command("schedule_run", "tests.slot_daily", stdout=None)
    call_command("schedule_run", "tests.slot_daily", stdout=None)
    assert slot_schedule.RUNS == ["daily", "daily"]


# The scheduler closes the database connection between ticks: no wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_a_beat_restarted_before_it_saved_last_run_at_sends_again_but_it_runs_once(
    slot_store: str,
) -> None:
    """django-celery-beat's DatabaseScheduler, killed after sending and started again."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    sync_schedule()
    PeriodicTask.objects.filter(name="forge:tests.slot_daily").update(
        last_run_at=timezone.now() - dt.timedelta(days=2)
    )
    PeriodicTask.objects.filter(name="forge:tests.slot_interval").update(enabled=False)
    sent: list[str] = []

    def tick_new_beat() -> None:
        beat = DatabaseScheduler(app=celery_app)
        model = PeriodicTask.objects.get(name="forge:tests.slot_daily")
        entry = beat.Entry(model, app=celery_app)
        assert entry.is_due().is_due, "beat sends the event (its last_run_at is stale)"
        beat.apply_entry(entry)
        sent.append(entry.name)
        # Killed here: the new last_run_at was never written (sync happens every 3 minutes).

    tick_new_beat()
    tick_new_beat()
    assert sent == ["forge:tests.slot_daily", "forge:tests.slot_daily"]
    assert slot_schedule.RUNS == ["daily"]
