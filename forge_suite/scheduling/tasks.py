"""Celery tasks of the scheduling app: the event runner and the history cleanup."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Task
from celery import signals as celery_signals
from django.utils import timezone

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.eventjobs import EVENT_HEADER, LOCK_HEADER, release_lock
from forge_suite.scheduling.history import DJANGO_TASK_RUNNER, ENQUEUED_HEADER, request_header
from forge_suite.scheduling.scheduler import RUNNER_TASK, Event, get_schedule, run_event

logger = logging.getLogger("forge_suite.scheduling.tasks")


@celery_app.task(name=RUNNER_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_scheduled_event(self: Task, name: str) -> dict[str, Any]:
    """Sent by beat for every event of the code schedule; applies conditions and locks, then
    runs the event (a ``schedule.job()`` event is dispatched as its own job).

    The slot is claimed for the moment the message was published (stamped by the publisher),
    so a late runner still claims the slot beat meant.
    """
    sent = request_header(self.request, ENQUEUED_HEADER)
    slot_at = dt.datetime.fromtimestamp(float(sent), tz=dt.UTC) if sent else timezone.now()
    outcome = run_event(name, slot_at=slot_at, dispatch=True)
    return {"event": outcome.name, "status": outcome.status, "reason": outcome.reason}


def prune_history(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete JobRun rows past ``HISTORY_RETENTION_DAYS`` and FailedJob rows past
    ``FAILED_RETENTION_DAYS`` (0 keeps failed jobs); return the counts."""
    from forge_suite.scheduling.models import FailedJob, JobRun, ScheduleSlot

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=app_settings.HISTORY_RETENTION_DAYS)
    runs, _ = JobRun.objects.filter(started_at__lt=cutoff).delete()
    failed = 0
    if app_settings.FAILED_RETENTION_DAYS:
        failed_cutoff = now - dt.timedelta(days=app_settings.FAILED_RETENTION_DAYS)
        failed, _ = FailedJob.objects.filter(failed_at__lt=failed_cutoff).delete()
    # Slot claims only matter while a beat could resend them (minutes); keep a month.
    ScheduleSlot.objects.filter(claimed_at__lt=now - dt.timedelta(days=35)).delete()
    return {"job_runs": runs, "failed_jobs": failed}


@celery_app.task(name="forge_scheduling.prune_history")
def prune_history_task() -> dict[str, int]:
    """Cleanup task: schedule it (e.g. daily) to apply the retention settings."""
    return prune_history()


@celery_app.task(name=DJANGO_TASK_RUNNER, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_django_task(
    self: Task,
    path: str,
    args: list[Any],
    kwargs: dict[str, Any],
    backend: str = "default",
    max_retries: int = 0,
) -> Any:
    """Run a task of Django's Tasks framework sent by ``ForgeBackend``; retried with the
    suite's exponential backoff up to ``max_retries`` times, then stored as a failed job."""
    from forge_suite.scheduling.tasks_backend import execute

    try:
        return execute(self.request, path, args, kwargs, backend)
    except Exception as exc:
        retries = self.request.retries or 0
        if retries >= max_retries:
            raise
        delay = min(app_settings.RETRY_BACKOFF_MAX, app_settings.RETRY_BACKOFF * 2**retries)
        raise self.retry(exc=exc, countdown=delay, max_retries=max_retries) from exc


def _on_event_job_done(
    task: Any = None, state: str | None = None, retval: Any = None, **_: Any
) -> None:
    if task is None:
        return
    name = request_header(task.request, EVENT_HEADER)
    if not name or state == "RETRY":
        return  # not an event's job, or another attempt follows
    lock = request_header(task.request, LOCK_HEADER)
    try:
        if lock:
            release_lock(str(lock))
        _finish_event_job(str(name), state or "FAILURE", retval)
    except Exception:
        logger.exception("could not finish scheduled event %s", name)


def _finish_event_job(name: str, state: str, retval: Any) -> None:
    from forge_suite.scheduling.signals import scheduled_event_finished

    event = get_schedule().get(name)
    if state == "SUCCESS":
        for success_hook in event.success_hooks:
            success_hook(event, retval)
        scheduled_event_finished.send(sender=Event, event=event, status="ran", reason="")
        return
    exc = retval if isinstance(retval, BaseException) else RuntimeError(f"job ended {state}")
    for failure_hook in event.failure_hooks:
        failure_hook(event, exc)
    scheduled_event_finished.send(sender=Event, event=event, status="failed", reason=repr(exc))


def connect() -> None:
    """Connect the scheduled events' job receiver (called from ``SchedulingConfig.ready()``)."""
    celery_signals.task_postrun.connect(
        _on_event_job_done, weak=False, dispatch_uid="forge_scheduling.event_job_done"
    )
