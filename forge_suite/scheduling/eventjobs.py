"""Scheduled ``schedule.job(...)`` events run as their own jobs, like Laravel's scheduler.

The runner task beat sends applies the event's conditions, slot claim and locks, then
*dispatches* the job: the job runs on its own queue with its own retries, backoff and time
limit, and has its own row in the history. Two message headers tie the job to its event:

- ``forge_event``: the event name, so the event's ``on_success``/``on_failure`` hooks and the
  ``scheduled_event_finished`` signal run when the job is done (after its last retry);
- ``forge_event_lock``: the ``without_overlapping()`` lock the runner took, released by the job
  when it is done (or expiring on its own if the worker running it dies).

The completion handler lives in :mod:`.tasks` next to the runner task.
"""

from __future__ import annotations

from typing import Any

from forge_suite.scheduling.locks import ExpiringLock

__all__ = ["EVENT_HEADER", "LOCK_HEADER", "dispatch_event_job", "release_lock"]

EVENT_HEADER = "forge_event"
LOCK_HEADER = "forge_event_lock"


def dispatch_event_job(event: Any, lock: ExpiringLock | None = None) -> str:
    """Send the job of ``event`` (a ``schedule.job()`` Event) to its queue; the job releases
    ``lock`` when done (see ``tasks._on_event_job_done``)."""
    headers = {EVENT_HEADER: event.name}
    if lock is not None:
        headers[LOCK_HEADER] = f"{lock.expires}|{lock.token}|{lock.key}"
    result = event.target.dispatch_with(event.args, event.kwargs, headers=headers)
    return str(result.id)


def release_lock(value: str) -> None:
    """Release the lock described by a ``forge_event_lock`` header value."""
    expires, token, key = value.split("|", 2)
    lock = ExpiringLock("-", int(expires))
    lock.key, lock.token, lock.acquired = key, token, True
    lock.release()
