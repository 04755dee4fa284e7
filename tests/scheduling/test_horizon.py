"""Horizon-style operations: running jobs, revoke/terminate, wait thresholds, charts."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.dashboard import dashboard_context, timeseries
from forge_suite.scheduling.history import ENQUEUED_HEADER
from forge_suite.scheduling.models import JobRun, JobState
from forge_suite.scheduling.signals import queue_wait_exceeded
from tests.scheduling import jobs
from tests.scheduling.conftest import REDIS_BROKER, wait_for
from tests.scheduling.test_dashboard import repairable

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db: Any) -> Client:
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_charts_bucket_throughput_runtime_and_failures_over_the_window() -> None:
    now = timezone.now()
    for minutes_ago, state, runtime in [
        (1, "SUCCESS", 0.2),
        (1, "FAILURE", 0.4),
        (50, "SUCCESS", 1),
    ]:
        JobRun.objects.create(
            task_name="t",
            task_id=f"c{minutes_ago}{state}",
            state=state,
            started_at=now - dt.timedelta(minutes=minutes_ago, seconds=10),
            runtime=runtime,
        )
    charts = timeseries(60, now)
    throughput = str(charts["throughput"])
    assert throughput.count('<rect class="bar"') == 30
    # 2-minute buckets: two runs in the last one -> 1 per minute; one run 50 minutes ago.
    assert throughput.count('data-value="1"') == 1
    assert throughput.count('data-value="0.5"') == 1
    failures = str(charts["failures"])
    assert failures.count('data-value="1"') == 1
    assert 'data-value="0.2"' in str(charts["runtime"])  # nearest-rank median of 0.2, 0.4
    assert "<script" not in throughput


def test_the_dashboard_lists_running_jobs_and_flags_slow_queues(admin_client: Client) -> None:
    now = timezone.now()
    JobRun.objects.create(
        task_name="shop.tasks.export",
        task_id="run-1",
        queue="default",
        worker="w1@host",
        state=JobState.STARTED,
        started_at=now - dt.timedelta(seconds=30),
        wait_time=95.0,
    )
    with override_settings(FORGE={"SCHEDULING": {"WAIT_THRESHOLDS": {"default": 60}}}):
        context = dashboard_context(60, now)
        page = admin_client.get(reverse("admin:forge_scheduling_dashboard")).content.decode()
    [running] = context["running"]
    assert running.task_id == "run-1"
    default = next(q for q in context["queues"] if q.name == "default")
    assert default.waiting_too_long
    assert 'data-task-id="run-1"' in page
    assert 'class="num wait too-long"' in page
    assert 'id="chart-throughput"' in page


def test_a_long_wait_sends_queue_wait_exceeded_once_a_minute() -> None:
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    queue_wait_exceeded.connect(receiver, weak=False, dispatch_uid="test-long-wait")
    try:
        with override_settings(FORGE={"SCHEDULING": {"WAIT_THRESHOLDS": {"*": 60}}}):
            task = celery_app.tasks[repairable.name]
            sent = time.time() - 120  # it waited two minutes
            task.apply(args=[1], headers={ENQUEUED_HEADER: sent})
            task.apply(args=[2], headers={ENQUEUED_HEADER: sent})  # same minute: no second
            task.apply(args=[3], headers={ENQUEUED_HEADER: time.time()})
    finally:
        queue_wait_exceeded.disconnect(dispatch_uid="test-long-wait")
    assert len(received) == 1
    assert received[0]["threshold"] == 60.0
    assert received[0]["wait"] >= 120
    assert received[0]["task_name"] == repairable.name


def test_revoke_in_eager_mode_says_there_is_nothing_to_revoke(admin_client: Client) -> None:
    run = JobRun.objects.create(
        task_name="t", task_id="x", state=JobState.STARTED, started_at=timezone.now()
    )
    response = admin_client.post(
        reverse("admin:forge_scheduling_dashboard_revoke", args=[run.pk]), follow=True
    )
    [message] = list(response.context["messages"])
    assert "nothing to revoke" in str(message)


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_terminate_from_the_dashboard_kills_the_running_job_and_marks_it_revoked(
    broker: Callable[[str], None],
    start_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
    admin_client: Client,
) -> None:
    broker(REDIS_BROKER)
    start_worker(REDIS_BROKER, queue_name)
    key = f"{redis_client.test_prefix}terminate"
    result = jobs.slow.on_queue(queue_name).dispatch(key, 60)
    run = wait_for(
        lambda: JobRun.objects.filter(task_id=result.id, state=JobState.STARTED).first(),
        30,
        "the job to start",
    )
    response = admin_client.post(
        reverse("admin:forge_scheduling_dashboard_revoke", args=[run.pk]),
        {"terminate": "1"},
        follow=True,
    )
    assert "terminated" in str(next(iter(response.context["messages"])))
    revoked = wait_for(
        lambda: JobRun.objects.filter(pk=run.pk, state=JobState.REVOKED).first(),
        30,
        "the run to be marked revoked",
    )
    assert revoked.exception == "Terminated by a revoke."
    pid = int(redis_client.lrange(key, 0, -1)[0].split(b":")[1])
    wait_for(lambda: not _alive(pid), 10, "the job's process to be gone")
    assert b"end:" not in b"".join(redis_client.lrange(key, 0, -1))


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
