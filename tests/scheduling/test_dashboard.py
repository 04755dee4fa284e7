"""The jobs dashboard in the Django admin: figures, failed-job retry, schedules."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from forge_suite.scheduling import job
from forge_suite.scheduling.dashboard import job_stats, percentile, queue_depths
from forge_suite.scheduling.models import FailedJob, JobRun, JobState


@job(queue="default")
def repairable(value: int) -> int:
    return value * 2


def seed() -> FailedJob:
    now = timezone.now()
    for i in range(10):
        JobRun.objects.create(
            task_name="shop.tasks.send_invoice",
            task_id=f"inv-{i}",
            queue="high",
            state=JobState.SUCCESS if i < 8 else JobState.FAILURE,
            started_at=now - dt.timedelta(minutes=i),
            finished_at=now,
            runtime=0.1 * (i + 1),
            wait_time=0.01 * (i + 1),
        )
    JobRun.objects.create(
        task_name="old.task", task_id="old", queue="low", started_at=now - dt.timedelta(days=2)
    )
    return FailedJob.objects.create(
        task_name=repairable.name,
        task_id="f-1",
        queue="default",
        args=[21],
        exception="ValueError: repairable broke",
    )


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0


@pytest.mark.django_db
def test_job_stats_per_queue_and_task_in_the_window() -> None:
    seed()
    queues, tasks = job_stats(60)
    assert [q.name for q in queues] == ["high"]  # the 2-day-old run is outside the window
    high = queues[0]
    assert (high.runs, high.failures) == (10, 2)
    assert high.per_minute == pytest.approx(10 / 60)
    assert high.runtime_p50 == pytest.approx(0.5)
    assert high.wait_p95 == pytest.approx(0.1)
    assert tasks[0].name == "shop.tasks.send_invoice"


@pytest.fixture
def admin_client_logged(db: Any) -> Client:
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_view_and_one_click_retry(admin_client_logged: Client) -> None:
    failed = seed()
    url = reverse("admin:forge_scheduling_dashboard")
    page = admin_client_logged.get(url).content.decode()
    assert "Jobs dashboard" in page
    assert 'data-queue="high"' in page
    assert "shop.tasks.send_invoice" in page
    assert "repairable broke" in page
    assert "housekeeping.digest" in page  # schedules from schedule.py
    assert "No broker configured" in page  # eager mode says so instead of a depth
    response = admin_client_logged.post(
        reverse("admin:forge_scheduling_dashboard_retry", args=[failed.pk])
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.retry_count == 1
    rerun = JobRun.objects.get(retry_of=failed)
    assert rerun.state == JobState.SUCCESS
    assert admin_client_logged.get(url + "?window=abc").status_code == 200


def test_dashboard_requires_staff(client: Client, db: Any) -> None:
    response = client.get(reverse("admin:forge_scheduling_dashboard"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_retry_needs_post(admin_client_logged: Client) -> None:
    failed = seed()
    url = reverse("admin:forge_scheduling_dashboard_retry", args=[failed.pk])
    assert admin_client_logged.get(url).status_code == 405


@pytest.mark.django_db
def test_failed_job_admin_retry_action(admin_client_logged: Client) -> None:
    failed = seed()
    response = admin_client_logged.post(
        reverse("admin:forge_scheduling_failedjob_changelist"),
        {"action": "retry_selected", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "1 failed job(s) dispatched again." in response.content.decode()
    assert JobRun.objects.filter(retry_of=failed, state=JobState.SUCCESS).exists()
    changelist = admin_client_logged.get(reverse("admin:forge_scheduling_jobrun_changelist"))
    assert "Jobs dashboard" in changelist.content.decode()


@pytest.mark.redis
def test_queue_depth_is_read_from_a_redis_broker(broker: Any, queue_name: str) -> None:
    from tests.scheduling.conftest import REDIS_BROKER

    broker(REDIS_BROKER)
    for n in range(3):
        repairable.on_queue(queue_name).dispatch(n)
    depths = queue_depths([queue_name, f"{queue_name}-empty"])
    assert depths == {queue_name: 3, f"{queue_name}-empty": 0}
    _purge(queue_name)


@pytest.mark.rabbitmq
def test_queue_depth_is_read_from_rabbitmq(broker: Any, queue_name: str, amqp_url: str) -> None:
    broker(amqp_url)
    for n in range(2):
        repairable.on_queue(queue_name).dispatch(n)
    # RabbitMQ counts a message once it has routed it; without publisher confirms the count
    # can trail the publish by a moment.
    deadline = time.monotonic() + 5
    while (depths := queue_depths([queue_name])) != {queue_name: 2}:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert depths == {queue_name: 2}
    _purge(queue_name, delete=True)


def _purge(queue: str, *, delete: bool = False) -> None:
    from forge_suite.celery import app as celery_app

    with celery_app.connection_for_write() as conn:
        channel = conn.channel()
        channel.queue_purge(queue)
        if delete:
            channel.queue_delete(queue)
        channel.close()


@pytest.mark.django_db
def test_schedules_show_beats_last_run_and_the_next_run() -> None:
    from django_celery_beat.models import PeriodicTask

    from forge_suite.scheduling.dashboard import schedules
    from forge_suite.scheduling.sync import sync_schedule

    sync_schedule()
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    last = now - dt.timedelta(minutes=2)
    PeriodicTask.objects.filter(name="forge:housekeeping.heartbeat").update(last_run_at=last)
    rows = {row["name"]: row for row in schedules(now)}
    heartbeat = rows["housekeeping.heartbeat"]
    assert heartbeat["synced"] is True
    assert heartbeat["last_run"] == last
    assert heartbeat["next_run"] == last + dt.timedelta(minutes=5)
    digest = rows["housekeeping.digest"]
    assert digest["timezone"] == "Europe/Paris"
    assert digest["next_run"] == dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC) - dt.timedelta(
        hours=1
    )
