"""The mailer's jobs without the scheduling app: plain Celery tasks with the same options."""

from __future__ import annotations

import pytest

from forge_suite.mailer import jobs

pytestmark = pytest.mark.django_db


def test_without_scheduling_a_job_is_a_reliable_plain_celery_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs, "scheduling_installed", lambda: False)
    calls: list[int] = []

    @jobs.job(name="tests.mailer.flaky_plain", max_retries=3, backoff=1, backoff_max=2)
    def flaky(n: int) -> str:
        calls.append(n)
        return "done"

    assert isinstance(flaky, jobs.PlainJob)
    assert flaky.name == "tests.mailer.flaky_plain"
    task = flaky.task
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries == 3
    assert task.autoretry_for == (Exception,)
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (1, 2, True)
    assert flaky.on_queue("mail").dispatch_with([7]).get() == "done"  # eager in the tests
    assert flaky(1) == "done"  # calling the job runs the body directly
    assert calls == [7, 1]
