"""Django's Tasks framework (``@task``) through ForgeBackend and a real ``manage.py worker``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from forge_suite.scheduling.models import FailedJob, JobRun, JobState
from forge_suite.scheduling.tasks_backend import ForgeBackend, TaskResultStatus
from tests.scheduling import dtasks
from tests.scheduling.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

REMEMBER = "tests.scheduling.dtasks.remember"
FRAGILE = "tests.scheduling.dtasks.fragile"


@pytest.fixture
def forge_tasks() -> Iterator[None]:
    with override_settings(TASKS=dtasks.FORGE_TASKS):
        yield


def backend() -> ForgeBackend:
    result = dtasks.remember.get_backend()
    assert isinstance(result, ForgeBackend)
    return result


def test_eager_mode_runs_the_task_at_once_with_its_history(
    forge_tasks: None, redis_client: Any
) -> None:
    key = f"{redis_client.test_prefix}eager"
    result = dtasks.remember.enqueue(key, "now")
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert redis_client.lrange(key, 0, -1) == [b"now"]
    run = JobRun.objects.get(task_id=result.id)
    assert (run.task_name, run.state, run.eager) == (REMEMBER, JobState.SUCCESS, True)
    assert run.args_summary == f"{key!r}, 'now'"


def test_priority_and_run_after_are_supported(forge_tasks: None) -> None:
    assert backend().supports_priority
    assert backend().supports_defer
    assert backend().supports_get_result


@pytest.mark.slow
@pytest.mark.redis
def test_django_tasks_run_on_the_worker_with_history_failed_jobs_and_retry(
    forge_tasks: None,
    redis_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
) -> None:
    redis_worker(queue_name)
    key = f"{redis_client.test_prefix}tasks"

    ok = dtasks.remember.using(queue_name=queue_name).enqueue(key, "hello")
    assert ok.status == TaskResultStatus.READY
    wait_for(lambda: redis_client.lrange(key, 0, -1) == [b"hello"], 30, "the task to run")
    run = wait_for(
        lambda: JobRun.objects.filter(task_id=ok.id, state=JobState.SUCCESS).first(),
        30,
        "its history row",
    )
    assert (run.task_name, run.queue, run.eager) == (REMEMBER, queue_name, False)
    ok.refresh()
    assert ok.status == TaskResultStatus.SUCCESSFUL
    assert ok.worker_ids == [run.worker]

    redis_client.set(f"{key}:broken", "1")
    bad = dtasks.fragile.using(queue_name=queue_name).enqueue(key)
    failed = wait_for(
        lambda: FailedJob.objects.filter(task_id=bad.id).first(), 60, "the failed job"
    )
    # MAX_RETRIES=1: two attempts, each told its number through the task context.
    assert redis_client.lrange(f"{key}:attempts", 0, -1) == [b"1", b"2"]
    assert failed.args[0] == FRAGILE
    assert "RuntimeError" in failed.exception
    # The FailedJob row is written on task_failure, a moment before the run's final state.
    wait_for(
        lambda: bad.refresh() or bad.status == TaskResultStatus.FAILED, 30, "the failed status"
    )
    assert bad.errors[-1].exception_class_path == "builtins.RuntimeError"
    assert "is broken" in bad.errors[-1].traceback
    runs = JobRun.objects.filter(task_id=bad.id).order_by("attempt")
    assert [(r.task_name, r.state) for r in runs] == [
        (FRAGILE, JobState.RETRY),
        (FRAGILE, JobState.FAILURE),
    ]

    redis_client.delete(f"{key}:broken")
    call_command("jobs_retry", str(failed.pk), stdout=StringIO())
    wait_for(lambda: redis_client.lrange(f"{key}:done", 0, -1), 30, "the retried task")
    rerun = wait_for(
        lambda: JobRun.objects.filter(retry_of=failed, state=JobState.SUCCESS).first(),
        30,
        "the retried run",
    )
    assert rerun.task_name == FRAGILE
