"""Signals sent by forge_suite.scheduling."""

from __future__ import annotations

from django.dispatch import Signal

#: A job exhausted its retries and was stored. Arguments: ``failed_job`` (FailedJob).
job_failed = Signal()

#: A failed job was dispatched again. Arguments: ``failed_job`` (FailedJob), ``task_id`` (str).
job_retried = Signal()

#: A scheduled event ran. Arguments: ``event`` (Event), ``status`` ("ran", "skipped", "failed",
#: or "dispatched" when the runner sent a ``schedule.job()`` event's job; "ran"/"failed" follow
#: when that job is done), ``reason`` (str).
scheduled_event_finished = Signal()

#: A job waited in its queue longer than that queue's ``WAIT_THRESHOLDS`` entry (sent by the
#: worker at most once a minute per queue and process). Arguments: ``queue`` (str),
#: ``wait`` (seconds, float), ``threshold`` (seconds), ``task_name`` (str).
queue_wait_exceeded = Signal()
