"""@job declaration, dispatch options, middleware and eager-mode history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from forge_suite.scheduling import job
from forge_suite.scheduling.exceptions import InvalidJob
from forge_suite.scheduling.jobs import Job, priority_value
from forge_suite.scheduling.middleware import JobMiddleware
from forge_suite.scheduling.models import FailedJob, JobRun, JobState

CALLS: list[tuple[str, Any]] = []


class RecordingMiddleware(JobMiddleware):
    def before(self, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        CALLS.append(("before", args))

    def after(self, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> None:
        CALLS.append(("after", result))

    def failure(
        self,
        task: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        exc: BaseException,
        will_retry: bool,
    ) -> None:
        CALLS.append(("failure", (repr(exc), will_retry)))


@job(queue="reports", priority="high", max_retries=5, timeout=30, middleware=[RecordingMiddleware])
def add(x: int, y: int) -> int:
    return x + y


@job(middleware=[RecordingMiddleware])
def explode(reason: str) -> None:
    raise ValueError(reason)


def test_job_declares_reliability_and_retry_defaults() -> None:
    task = add.task
    assert isinstance(add, Job)
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries == 5
    assert task.autoretry_for == (Exception,)
    assert task.retry_backoff == 2
    assert task.retry_jitter is True
    assert task.soft_time_limit == 30
    assert task.time_limit > 30
    assert add.queue == "reports"
    assert add.priority == "high"
    assert explode.task.max_retries == 3  # FORGE["SCHEDULING"]["MAX_RETRIES"] default


def test_calling_a_job_runs_its_body_inline() -> None:
    assert add(2, 3) == 5


def test_dispatch_options_delay_eta_queue_and_priority() -> None:
    assert add.dispatch_options() == {"queue": "reports", "priority": 9}
    assert add.dispatch_options(delay=dt.timedelta(minutes=2))["countdown"] == 120
    eta = timezone.now() + dt.timedelta(hours=1)
    assert add.dispatch_options(eta=eta)["eta"] == eta
    low = add.on_queue("bulk").with_priority("low")
    assert low.dispatch_options() == {"queue": "bulk", "priority": 0}
    assert add.queue == "reports", "on_queue() returns a copy"


def test_priority_names_follow_the_broker_ordering() -> None:
    assert priority_value("high", "redis://x/0") < priority_value("low", "redis://x/0")
    assert priority_value("high", "amqp://x//") > priority_value("low", "amqp://x//")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add.dispatch_options(delay=-1), "cannot be negative"),
        (lambda: add.dispatch_options(delay=1, eta=timezone.now()), "not both"),
        (lambda: add.dispatch_options(eta=dt.datetime(2030, 1, 1)), "timezone-aware"),
        (lambda: add.with_priority("urgent"), "unknown priority 'urgent'"),
        (lambda: add.on_queue(""), "non-empty queue"),
        (lambda: job(priority="asap")(lambda: None), "priority='asap'"),
        (lambda: job(timeout=0)(lambda: None), "timeout=0"),
    ],
)
def test_bad_job_options_raise_a_clear_error(call: Any, message: str) -> None:
    with pytest.raises(InvalidJob, match=message):
        call()


@pytest.mark.django_db
def test_dispatch_in_eager_mode_records_history_and_runs_middleware() -> None:
    CALLS.clear()
    result = add.dispatch(2, 40)
    assert result.get() == 42
    run = JobRun.objects.get(task_id=result.id)
    assert run.state == JobState.SUCCESS
    assert run.eager is True
    assert run.task_name == add.name
    assert run.queue == "reports"
    assert run.args_summary == "2, 40"
    assert run.runtime is not None
    assert run.finished_at is not None
    assert CALLS == [("before", (2, 40)), ("after", 42)]


@pytest.mark.django_db
def test_eager_failure_is_not_retried_and_lands_in_failed_jobs() -> None:
    CALLS.clear()
    with pytest.raises(ValueError, match="disk full"):
        explode.dispatch("disk full")
    failed = FailedJob.objects.get(task_name=explode.name)
    assert failed.args == ["disk full"]
    assert failed.exception == "ValueError: disk full"
    assert "Traceback" in failed.traceback
    run = JobRun.objects.get(task_id=failed.task_id)
    assert run.state == JobState.FAILURE
    assert failed.last_run == run
    assert CALLS == [("before", ("disk full",)), ("failure", ("ValueError('disk full')", False))]


@pytest.mark.django_db
def test_history_can_be_switched_off_and_tasks_excluded() -> None:
    with override_settings(FORGE={"SCHEDULING": {"HISTORY": False}}):
        add.dispatch(1, 1)
    with override_settings(FORGE={"SCHEDULING": {"HISTORY_EXCLUDE": ["tests.scheduling.*"]}}):
        add.dispatch(1, 2)
    assert not JobRun.objects.exists()


@pytest.mark.django_db
def test_args_summary_is_truncated() -> None:
    with override_settings(FORGE={"SCHEDULING": {"ARGS_SUMMARY_LENGTH": 10}}):
        add.dispatch(123456789, 987654321)
    summary = JobRun.objects.get().args_summary
    assert len(summary) == 10
    assert summary.endswith("…")


def test_metrics_record_each_job() -> None:
    from prometheus_client import REGISTRY

    labels = {"queue": "reports", "task": add.name, "state": "success"}

    def count() -> float:
        return REGISTRY.get_sample_value("forge_jobs_total", labels) or 0.0

    before = count()
    with override_settings(FORGE={"SCHEDULING": {"HISTORY": False}}):
        add.dispatch(1, 1)
    assert count() == before + 1
    runtime_count = REGISTRY.get_sample_value(
        "forge_job_runtime_seconds_count", {"queue": "reports", "task": add.name}
    )
    assert runtime_count is not None
    assert runtime_count >= 1
