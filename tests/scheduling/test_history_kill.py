"""The job history survives ``kill -9`` of a real worker: no row lost, no run STARTED forever."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from forge_suite.scheduling.dashboard import dashboard_context
from forge_suite.scheduling.heartbeat import WORKER_GONE_REASON
from forge_suite.scheduling.models import JobRun, JobState
from tests.scheduling import jobs
from tests.scheduling.conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

JOBS = 300


def test_every_finished_job_has_its_history_row_after_the_worker_is_killed(
    redis_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
) -> None:
    env = {"FORGE_WORKER_VISIBILITY_TIMEOUT": "3"}
    first = redis_worker(queue_name, concurrency=2, extra_env=env)
    key = f"{redis_client.test_prefix}many"
    ids = [jobs.record.on_queue(queue_name).dispatch(key, str(i)).id for i in range(JOBS)]
    wait_for(lambda: redis_client.llen(key) >= JOBS // 5, 60, "jobs to flow")
    first.kill(signal.SIGKILL)  # mid-stream: jobs finish every few milliseconds

    redis_worker(queue_name, concurrency=2, extra_env=env)

    def ran() -> set[int]:
        return {int(value) for value in redis_client.lrange(key, 0, -1)}

    # kombu's Redis transport pops a message (BRPOP) before it records it as unacknowledged, so
    # a SIGKILL can lose the one message whose BRPOP reply the killed worker had not read yet
    # (RabbitMQ has no such window). Every other job runs; the rest come back after the
    # visibility timeout.
    wait_for(lambda: len(ran()) >= JOBS - 1, 120, "every job (but at most one) to have run")
    deadline = time.monotonic() + 15
    while len(ran()) < JOBS and time.monotonic() < deadline:
        time.sleep(0.2)
    finished = {ids[index] for index in ran()}

    def succeeded() -> set[str]:
        rows = JobRun.objects.filter(task_id__in=ids, state=JobState.SUCCESS)
        return set(rows.values_list("task_id", flat=True))

    done = wait_for(lambda: finished <= succeeded() or None, 30, "a SUCCESS row per job run")
    assert done
    assert not JobRun.objects.filter(task_id__in=ids, state=JobState.STARTED).exists()


def test_a_run_whose_worker_is_gone_is_marked_lost_and_shown_in_the_dashboard(
    redis_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
) -> None:
    env = {"FORGE_WORKER_HEARTBEAT_INTERVAL": "0.5", "FORGE_WORKER_LOST_AFTER": "3"}
    doomed = redis_worker(queue_name, extra_env=env)
    key = f"{redis_client.test_prefix}doomed"
    result = jobs.hang_first_time.on_queue(queue_name).dispatch(key)
    started = wait_for(
        lambda: JobRun.objects.filter(task_id=result.id, state=JobState.STARTED).first(),
        30,
        "the started run",
    )
    doomed.kill(signal.SIGKILL)

    # A worker of another queue never gets the message back; its heartbeat reaps the run.
    redis_worker(f"other-{uuid.uuid4().hex[:8]}", extra_env=env)
    lost = wait_for(
        lambda: JobRun.objects.filter(task_id=result.id, state=JobState.LOST).first(),
        30,
        "the reaper to mark the run lost",
    )
    assert lost.pk == started.pk
    assert lost.exception == WORKER_GONE_REASON
    assert lost.finished_at is not None

    from django.test import override_settings

    with override_settings(FORGE={"SCHEDULING": {"WORKER_LOST_AFTER": 3}}):
        context = dashboard_context(60)
    workers = {w["hostname"]: w for w in context["workers"]}
    assert workers[started.worker]["status"] == "gone"
    assert context["totals"]["lost"] >= 1
