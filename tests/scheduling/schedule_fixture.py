"""A schedule module loaded by the test workers (``SCHEDULE_MODULES``)."""

from __future__ import annotations

import os

from forge_suite.scheduling import Schedule
from tests.scheduling.jobs import record_failure, sleepy, slow


def schedule(schedule: Schedule) -> None:
    key = os.environ.get("FORGE_WORKER_RUN_KEY", "forge-test:unset")
    # The queue the scheduled jobs go to (the worker under test consumes it).
    queue = os.environ.get("FORGE_WORKER_JOB_QUEUE", "default")
    schedule.job(slow.on_queue(queue), key, 3.0).every(minutes=1).without_overlapping(
        expires=60
    ).named("tests.overlap")
    schedule.job(sleepy.on_queue(queue), key).every(minutes=1).on_failure(
        record_failure(key)
    ).named("tests.own_job")
