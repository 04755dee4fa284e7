"""A schedule module loaded by the test workers (``SCHEDULE_MODULES``)."""

from __future__ import annotations

import os

from forge_suite.scheduling import Schedule
from tests.scheduling.jobs import slow


def schedule(schedule: Schedule) -> None:
    key = os.environ.get("FORGE_WORKER_RUN_KEY", "forge-test:unset")
    schedule.job(slow, key, 3.0).every(minutes=1).without_overlapping(expires=60).named(
        "tests.overlap"
    )
