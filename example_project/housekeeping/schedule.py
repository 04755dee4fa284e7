"""The demo schedule, synced into django-celery-beat by ``manage.py schedule_sync``."""

from __future__ import annotations

from forge_suite.scheduling import Schedule

from .tasks import cleanup_sessions, heartbeat, job_digest


def schedule(schedule: Schedule) -> None:
    schedule.job(cleanup_sessions).hourly_at(17).without_overlapping(expires=600).named(
        "housekeeping.cleanup_sessions"
    )
    schedule.job(job_digest, hours=24).daily_at("08:00").timezone("Europe/Paris").weekdays().named(
        "housekeeping.digest"
    )
    schedule.job(heartbeat).every(minutes=5).named("housekeeping.heartbeat")
