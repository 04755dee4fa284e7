"""Failed jobs (the dead-letter store): list, retry, forget, flush."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.exceptions import FailedJobNotFound
from forge_suite.scheduling.history import RETRY_OF_HEADER
from forge_suite.scheduling.models import FailedJob
from forge_suite.scheduling.publish import require_registered, send_task
from forge_suite.scheduling.signals import job_retried

__all__ = ["failed_jobs", "flush_failed", "forget_failed", "retry_failed", "retry_failed_many"]


def failed_jobs() -> QuerySet[FailedJob]:
    """Every stored failed job, newest first."""
    return FailedJob.objects.all()


def _get(failed: FailedJob | int) -> FailedJob:
    if isinstance(failed, FailedJob):
        return failed
    try:
        return FailedJob.objects.get(pk=failed)
    except FailedJob.DoesNotExist:
        raise FailedJobNotFound(f"no failed job with id {failed!r}") from None


def retry_failed(failed: FailedJob | int) -> str:
    """Dispatch a failed job again with its original arguments and queue; return the task id.

    Raises UnknownTask when the task is no longer registered and BrokerUnavailable when the
    broker cannot be reached; in both cases nothing is sent and the failed job is unchanged.
    The new run carries a header linking it to the failure (``JobRun.retry_of``). The failure
    stays stored (with ``retried_at`` and ``retry_task_id``) until forgotten or flushed.
    """
    item = _get(failed)
    require_registered(item.task_name)
    options: dict[str, Any] = {"headers": {RETRY_OF_HEADER: str(item.pk)}}
    if item.queue:
        options["queue"] = item.queue
    with transaction.atomic():
        locked = FailedJob.objects.select_for_update().get(pk=item.pk)
        # A broker that is down raises BrokerUnavailable here: the transaction rolls back.
        result = (
            send_task(locked.task_name, args=locked.args, kwargs=dict(locked.kwargs), **options)
            if not celery_app.conf.task_always_eager
            else _run_eagerly(locked, options)
        )
        locked.retried_at = timezone.now()
        locked.retry_task_id = str(result)
        locked.retry_count += 1
        locked.save(update_fields=["retried_at", "retry_task_id", "retry_count"])
    job_retried.send(sender=FailedJob, failed_job=locked, task_id=str(result))
    return str(result)


def _run_eagerly(item: FailedJob, options: dict[str, Any]) -> str:
    # send_task ignores task_always_eager; in eager mode the registered task runs in-process.
    task = celery_app.tasks[item.task_name]
    result = task.apply(
        args=tuple(item.args),
        kwargs=dict(item.kwargs),
        headers=options["headers"],
        throw=False,
    )
    return str(result.id)


def retry_failed_many(items: Iterable[FailedJob | int]) -> list[str]:
    """Retry several failed jobs; return the new task ids."""
    return [retry_failed(item) for item in items]


def forget_failed(failed: FailedJob | int) -> None:
    """Delete one failed job without running it."""
    _get(failed).delete()


def flush_failed(*, older_than_days: int | None = None) -> int:
    """Delete every failed job (or those older than ``older_than_days``); return the count."""
    queryset = FailedJob.objects.all()
    if older_than_days is not None:
        queryset = queryset.filter(
            failed_at__lt=timezone.now() - dt.timedelta(days=older_than_days)
        )
    deleted, _ = queryset.delete()
    return deleted
