"""The files app's schedule (discovered by forge_suite.scheduling): hourly cleanup."""

from __future__ import annotations

from typing import Any

from forge_suite.files.tasks import cleanup_uploads


def schedule(schedule: Any) -> None:
    schedule.job(cleanup_uploads).hourly_at(23).without_overlapping(expires=1800).named(
        "files.cleanup_uploads"
    )
