"""Scheduled ``schedule.job(...)`` events run as their own jobs, like Laravel's scheduler.

The runner task beat sends applies the event's conditions, slot claim and locks, then
*dispatches* the job: the job runs on its own queue with its own retries, backoff and time
limit, and has its own row in the history. Two message headers tie the job to its event:

- ``forge_event``: the event name, so the event's ``on_success``/``on_failure`` hooks and the
  ``scheduled_event_finished`` signal run when the job is done (after its last retry);
- ``forge_event_lock``: the ``without_overlapping()`` lock the runner took, released by the job
  when it is done (or expiring on its own if the worker running it dies).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from celery import signals as celery_signals

from forge_suite.scheduling.history import request_header
from forge_suite.scheduling.locks import ExpiringLock

if TYPE_CHECKING:
    from forge_suite.scheduling.scheduler import Event

__all__ = ["EVENT_HEADER", "LOCK_HEADER", "dispatch_event_job"]

logger = logging.getLogger("forge_suite.scheduling.eventjobs")

EVENT_HEADER = "forge_event"
LOCK_HEADER = "forge_event_lock"


def dispatch_event_job(event: Event, lock: ExpiringLock | None = None) -> str:
    """Send the job of ``event`` to its queue; the job releases ``lock`` when done."""
    headers = {EVENT_HEADER: event.name}
    if lock is not None:
        headers[LOCK_HEADER] = f"{lock.expires}|{lock.token}|{lock.key}"
    result = event.target.dispatch_with(event.args, event.kwargs, headers=headers)
    return str(result.id)


def _release(value: str) -> None:
    expires, token, key = value.split("|", 2)
    lock = ExpiringLock("-", int(expires))
    lock.key, lock.token, lock.acquired = key, token, True
    lock.release()


@celery_signals.task_postrun.connect(dispatch_uid="forge_scheduling.event_job_done")
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
            _release(str(lock))
        _finish(str(name), state or "FAILURE", retval)
    except Exception:
        logger.exception("could not finish scheduled event %s", name)


def _finish(name: str, state: str, retval: Any) -> None:
    from forge_suite.scheduling.scheduler import Event, get_schedule
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
