"""Failed jobs: jobs_failed, jobs_retry, jobs_forget, jobs_flush, retention (eager mode)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from forge_suite.scheduling import job
from forge_suite.scheduling.exceptions import FailedJobNotFound
from forge_suite.scheduling.failed import retry_failed
from forge_suite.scheduling.models import FailedJob, JobRun, JobState
from forge_suite.scheduling.tasks import prune_history

pytestmark = pytest.mark.django_db

BROKEN = {"value": True}


@job(queue="mail")
def send_report(to: str) -> str:
    if BROKEN["value"]:
        raise ConnectionError(f"SMTP down for {to}")
    return f"sent to {to}"


def _fail_once() -> FailedJob:
    BROKEN["value"] = True
    with pytest.raises(ConnectionError):
        send_report.dispatch("ops@example.com")
    return FailedJob.objects.get()


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_jobs_failed_lists_failures() -> None:
    assert run("jobs_failed") == "No failed jobs.\n"
    failed = _fail_once()
    output = run("jobs_failed")
    assert str(failed.pk) in output
    assert send_report.name in output
    assert "ConnectionError: SMTP down for ops@example.com" in output


def test_jobs_retry_runs_it_again_and_links_the_new_run_to_the_failure() -> None:
    failed = _fail_once()
    BROKEN["value"] = False
    output = run("jobs_retry", str(failed.pk))
    assert f"failed job {failed.pk} dispatched again as" in output
    failed.refresh_from_db()
    assert failed.retry_count == 1
    rerun = JobRun.objects.get(task_id=failed.retry_task_id)
    assert rerun.state == JobState.SUCCESS
    assert rerun.retry_of == failed
    assert rerun.queue == "mail"


def test_jobs_retry_all_and_bad_input() -> None:
    _fail_once()
    BROKEN["value"] = True
    with pytest.raises(ConnectionError):
        send_report.dispatch("b@example.com")
    BROKEN["value"] = False
    run("jobs_retry", "--all")
    assert FailedJob.objects.filter(retry_count=1).count() == 2
    with pytest.raises(CommandError, match="ids or --all"):
        run("jobs_retry")
    with pytest.raises(CommandError, match="1 of 1 failed jobs could not be retried"):
        run("jobs_retry", "999999")
    with pytest.raises(FailedJobNotFound, match="999999"):
        retry_failed(999999)


def test_retry_of_an_unregistered_task_says_so() -> None:
    failed = FailedJob.objects.create(task_name="gone.task", task_id="x")
    with pytest.raises(CommandError):
        run("jobs_retry", str(failed.pk))
    failed.refresh_from_db()
    assert failed.retry_count == 0


def test_jobs_forget_and_flush() -> None:
    failed = _fail_once()
    run("jobs_forget", str(failed.pk))
    assert not FailedJob.objects.exists()
    with pytest.raises(CommandError, match="no failed job with id 12345"):
        run("jobs_forget", "12345")
    _fail_once()
    FailedJob.objects.update(failed_at=timezone.now() - dt.timedelta(days=10))
    newer = FailedJob.objects.create(task_name="t", task_id="new")
    assert "deleted 1 failed job(s)" in run("jobs_flush", "--older-than", "5")
    assert list(FailedJob.objects.all()) == [newer]
    assert "deleted 1 failed job(s)" in run("jobs_flush")
    with pytest.raises(CommandError, match="zero or more"):
        run("jobs_flush", "--older-than", "-1")


def test_retention_cleanup_deletes_old_history() -> None:
    now = timezone.now()
    old = JobRun.objects.create(task_name="t", task_id="1", started_at=now - dt.timedelta(days=20))
    recent = JobRun.objects.create(task_name="t", task_id="2", started_at=now)
    old_failed = FailedJob.objects.create(task_name="t", task_id="1")
    FailedJob.objects.filter(pk=old_failed.pk).update(failed_at=now - dt.timedelta(days=40))
    with override_settings(FORGE={"SCHEDULING": {"HISTORY_RETENTION_DAYS": 14}}):
        counts = prune_history()
    assert counts == {"job_runs": 1, "failed_jobs": 1}
    assert list(JobRun.objects.all()) == [recent]
    assert not JobRun.objects.filter(pk=old.pk).exists()
    with override_settings(FORGE={"SCHEDULING": {"FAILED_RETENTION_DAYS": 0}}):
        old_failed = FailedJob.objects.create(task_name="t", task_id="3")
        FailedJob.objects.filter(pk=old_failed.pk).update(failed_at=now - dt.timedelta(days=400))
        assert "0 failed job(s)" in run("jobs_prune")
