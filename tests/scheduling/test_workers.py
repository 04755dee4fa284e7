"""Acceptance tests against a real broker and real `manage.py worker` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.history import ENQUEUED_HEADER
from forge_suite.scheduling.locks import ExpiringLock
from forge_suite.scheduling.models import FailedJob, JobRun, JobState
from forge_suite.scheduling.scheduler import RUNNER_TASK
from tests.scheduling import jobs
from tests.scheduling.conftest import REDIS_BROKER, ROOT, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.redis
def test_failing_job_is_retried_with_backoff_lands_in_failed_jobs_and_jobs_retry_runs_it(
    redis_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
) -> None:
    redis_worker(queue_name)
    key = f"{redis_client.test_prefix}flaky"
    redis_client.set(f"{key}:broken", "1")

    result = jobs.flaky.on_queue(queue_name).dispatch(key)

    failed = wait_for(
        lambda: FailedJob.objects.filter(task_id=result.id).first(), 60, "the FailedJob"
    )
    assert int(redis_client.get(f"{key}:attempts")) == 3  # first run + max_retries=2
    assert failed.attempts == 3
    assert failed.task_name == jobs.flaky.name
    assert failed.args == [key]
    assert failed.queue == queue_name
    assert "RuntimeError" in failed.exception
    assert "is broken" in failed.exception
    assert "Traceback" in failed.traceback
    runs = list(JobRun.objects.filter(task_id=result.id).order_by("attempt"))
    assert [(r.attempt, r.state) for r in runs] == [
        (1, JobState.RETRY),
        (2, JobState.RETRY),
        (3, JobState.FAILURE),
    ]
    # Exponential backoff: the retries were sent with countdowns of 1 s and then 2 s.
    first_gap = (runs[1].started_at - runs[0].started_at).total_seconds()
    second_gap = (runs[2].started_at - runs[1].started_at).total_seconds()
    assert first_gap >= 1.0
    assert second_gap >= 2.0

    redis_client.delete(f"{key}:broken")  # the cause is fixed
    call_command("jobs_retry", str(failed.pk))

    wait_for(lambda: redis_client.lrange(f"{key}:done", 0, -1), 30, "the successful retry")
    rerun = wait_for(
        lambda: JobRun.objects.filter(retry_of=failed, state=JobState.SUCCESS).first(),
        30,
        "the retried run in the history",
    )
    failed.refresh_from_db()
    assert failed.retry_count == 1
    assert failed.retried_at is not None
    assert rerun.task_id == failed.retry_task_id != failed.task_id


@pytest.mark.redis
@pytest.mark.parametrize(
    "history_flushed", [True, False], ids=["after-history-write", "before-history-write"]
)
def test_worker_killed_mid_job_the_job_runs_again_and_history_shows_both_attempts(
    history_flushed: bool,
    redis_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
) -> None:
    fast_restore = {"FORGE_WORKER_VISIBILITY_TIMEOUT": "3"}
    first = redis_worker(queue_name, extra_env=fast_restore)
    key = f"{redis_client.test_prefix}hang"

    result = jobs.hang_first_time.on_queue(queue_name).dispatch(key)
    wait_for(lambda: redis_client.lrange(f"{key}:events", 0, -1), 30, "the job to start")
    if history_flushed:
        wait_for(
            lambda: JobRun.objects.filter(task_id=result.id, state=JobState.STARTED).exists(),
            10,
            "the started run",
        )
    first.kill(signal.SIGKILL)  # the main process and its pool child, mid-job

    redis_worker(queue_name, extra_env=fast_restore)
    wait_for(
        lambda: b"finished" in redis_client.lrange(f"{key}:events", 0, -1),
        60,
        "the job to run again on the next worker",
    )
    runs = wait_for(
        lambda: (
            rows
            if len(rows := list(JobRun.objects.filter(task_id=result.id).order_by("attempt"))) == 2
            and rows[1].state == JobState.SUCCESS
            else None
        ),
        30,
        "both attempts in the history",
    )
    assert [(r.attempt, r.state) for r in runs] == [(1, JobState.LOST), (2, JobState.SUCCESS)]
    if history_flushed:
        assert runs[0].worker != runs[1].worker
    assert not FailedJob.objects.filter(task_id=result.id).exists()


@pytest.mark.redis
def test_without_overlapping_allows_one_run_across_two_worker_processes(
    redis_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
) -> None:
    key = f"{redis_client.test_prefix}overlap"
    env = {
        "FORGE_WORKER_RUN_KEY": key,
        "FORGE_WORKER_LOCK_PREFIX": redis_client.test_prefix,
        "FORGE_WORKER_JOB_QUEUE": queue_name,
    }
    redis_worker(queue_name, extra_env=env)
    redis_worker(queue_name, extra_env=env)

    # Two due times a minute apart (two slots): only the overlap lock can skip the second.
    sent_at = time.time()
    first, second = (
        celery_app.send_task(
            RUNNER_TASK,
            args=["tests.overlap"],
            queue=queue_name,
            headers={ENQUEUED_HEADER: sent_at + offset},
        )
        for offset in (0, 60)
    )
    runs = wait_for(
        lambda: (
            rows
            if (rows := list(JobRun.objects.filter(task_id__in=[first.id, second.id])))
            and len(rows) == 2
            and all(r.state == JobState.SUCCESS for r in rows)
            else None
        ),
        60,
        "both runner tasks to finish",
    )
    assert len({r.worker for r in runs}) == 2, "each worker process took one message"
    wait_for(
        lambda: any(v.startswith(b"end:") for v in redis_client.lrange(key, 0, -1)),
        30,
        "the dispatched job to finish",
    )
    starts = [v for v in redis_client.lrange(key, 0, -1) if v.startswith(b"start:")]
    assert len(starts) == 1, "the second run was skipped while the first held the lock"
    wait_for(
        lambda: not redis_client.exists(f"{redis_client.test_prefix}overlap:tests.overlap"),
        10,
        "the job to release the overlap lock",
    )


@pytest.mark.redis
def test_a_scheduled_job_runs_as_its_own_job_with_its_queue_retries_and_time_limit(
    redis_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
) -> None:
    key = f"{redis_client.test_prefix}own"
    job_queue = f"{queue_name}-jobs"
    env = {"FORGE_WORKER_RUN_KEY": key, "FORGE_WORKER_JOB_QUEUE": job_queue}
    redis_worker(f"{queue_name},{job_queue}", extra_env=env)

    runner = celery_app.send_task(RUNNER_TASK, args=["tests.own_job"], queue=queue_name)

    failed = wait_for(
        lambda: FailedJob.objects.filter(task_name=jobs.sleepy.name).first(),
        60,
        "the scheduled job to fail after its retry",
    )
    runner_run = JobRun.objects.get(task_id=runner.id)
    assert runner_run.state == JobState.SUCCESS
    assert runner_run.queue == queue_name
    job_runs = list(JobRun.objects.filter(task_id=failed.task_id).order_by("attempt"))
    assert failed.task_id != runner.id
    # Its own queue, its own retry (max_retries=1) and its own 1 s time limit.
    assert [(r.attempt, r.state, r.queue) for r in job_runs] == [
        (1, JobState.RETRY, job_queue),
        (2, JobState.FAILURE, job_queue),
    ]
    assert failed.exception.startswith("SoftTimeLimitExceeded")
    assert int(redis_client.get(f"{key}:attempts")) == 2
    # The event's failure hook ran once, after the last attempt.
    wait_for(lambda: redis_client.lrange(f"{key}:hook", 0, -1), 10, "the failure hook")
    assert redis_client.lrange(f"{key}:hook", 0, -1) == [b"SoftTimeLimitExceeded"]


@pytest.mark.redis
def test_lock_of_a_crashed_holder_expires(redis_client: Any, redis_url: str) -> None:
    name = f"crash-{time.monotonic_ns()}"
    prefix = redis_client.test_prefix
    code = (
        "import django, os, time;"
        "os.environ['DJANGO_SETTINGS_MODULE']='tests.settings';django.setup();"
        "from django.test.utils import override_settings;"
        f"o=override_settings(FORGE={{'SCHEDULING': {{'LOCK_PREFIX': {prefix!r}}}}});o.enable();"
        "from forge_suite.scheduling.locks import ExpiringLock;"
        f"assert ExpiringLock({name!r}, 2, redis_url={redis_url!r}).acquire();"
        "print('held', flush=True);time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
    from django.test.utils import override_settings

    with override_settings(FORGE={"SCHEDULING": {"LOCK_PREFIX": prefix}}):
        lock = ExpiringLock(name, 2, redis_url=redis_url)
        assert lock.held(), "the dead holder's lock is still there"
        assert not lock.acquire()
        wait_for(lock.acquire, 10, "the crashed holder's lock to expire")
        lock.release()
        assert not lock.held()


@pytest.mark.redis
def test_manage_py_worker_processes_jobs_from_redis(
    redis_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
) -> None:
    worker = redis_worker(queue_name)
    assert f"queues: {queue_name}" in worker.output()
    key = f"{redis_client.test_prefix}redis"
    result = jobs.record.on_queue(queue_name).dispatch(key, "via-redis")
    wait_for(lambda: redis_client.lrange(key, 0, -1) == [b"via-redis"], 30, "the job")
    run = wait_for(
        lambda: JobRun.objects.filter(task_id=result.id, state=JobState.SUCCESS).first(), 20
    )
    assert run.queue == queue_name
    assert run.wait_time is not None
    assert run.runtime is not None


@pytest.mark.rabbitmq
@pytest.mark.redis
def test_manage_py_worker_processes_jobs_from_rabbitmq(
    broker: Callable[[str], None],
    start_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
    amqp_url: str,
) -> None:
    broker(amqp_url)
    worker = start_worker(amqp_url, queue_name)
    assert "amqp://guest:**@127.0.0.1" in worker.output()
    key = f"{redis_client.test_prefix}amqp"
    result = jobs.record.on_queue(queue_name).dispatch(key, "via-rabbitmq")
    wait_for(lambda: redis_client.lrange(key, 0, -1) == [b"via-rabbitmq"], 30, "the job")
    wait_for(lambda: JobRun.objects.filter(task_id=result.id, state=JobState.SUCCESS).exists(), 20)


@pytest.mark.redis
def test_manage_py_worker_beat_syncs_the_schedule_and_embeds_beat(
    start_worker: Callable[..., Any], queue_name: str
) -> None:
    from django_celery_beat.models import PeriodicTask

    worker = start_worker(REDIS_BROKER, queue_name, args=("--beat",))
    output = worker.output()
    assert "schedule synced: 2 created" in output  # tests.overlap and tests.own_job
    assert "beat: embedded (django-celery-beat database scheduler)" in output
    assert PeriodicTask.objects.filter(name="forge:tests.overlap").exists()
    wait_for(lambda: "beat: Starting..." in worker.output(), 30, "embedded beat to start")
