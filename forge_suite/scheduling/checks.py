"""System checks of forge_suite.scheduling (registered by ``SchedulingConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, Warning


def check_beat_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The scheduler stores its entries in django-celery-beat's tables."""
    if apps.is_installed("django_celery_beat"):
        return []
    return [
        Error(
            "forge_suite.scheduling needs django_celery_beat in INSTALLED_APPS.",
            hint='pip install "forge-suite[scheduling]" and add "django_celery_beat" to '
            "INSTALLED_APPS, then run migrate.",
            id="forge_scheduling.E001",
        )
    ]


def check_schedule_loads(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every schedule module imports and defines valid events."""
    from forge_suite.scheduling.exceptions import SchedulingError
    from forge_suite.scheduling.scheduler import load_schedule

    if not apps.is_installed("django_celery_beat"):
        return []
    try:
        schedule = load_schedule()
    except SchedulingError as exc:
        return [
            Error(
                f"the code schedule cannot be loaded: {exc}",
                hint="Fix the schedule.py named in the message; `manage.py schedule_test` "
                "shows each event.",
                id="forge_scheduling.E002",
            )
        ]
    from django.conf import settings

    from forge_suite.celery import app as celery_app
    from forge_suite.core.redis import redis_configured

    locking = [e.name for e in schedule if e.overlap_expires or e.one_server]
    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    process_local = "locmem" in backend or "dummy" in backend
    # Eager mode runs everything in one process, where the local cache is a correct lock.
    eager = bool(celery_app.conf.task_always_eager or not celery_app.conf.broker_url)
    if locking and not redis_configured() and process_local and not eager:
        return [
            Warning(
                f"events {', '.join(locking)} use without_overlapping()/on_one_server() but "
                'FORGE["REDIS_URL"] is not set: the locks fall back to the default cache, '
                "which is only shared across processes if that cache is.",
                hint='Set FORGE["REDIS_URL"] so the locks work across workers and servers.',
                id="forge_scheduling.W001",
            )
        ]
    return []


def check_heartbeat_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The reaper must not take a live worker for a gone one between two heartbeats."""
    from forge_suite.scheduling.conf import app_settings

    interval = float(app_settings.HEARTBEAT_INTERVAL)
    lost_after = float(app_settings.WORKER_LOST_AFTER)
    if lost_after >= 2 * interval:
        return []
    return [
        Warning(
            f'FORGE["SCHEDULING"]["WORKER_LOST_AFTER"] ({lost_after:g}s) is less than two '
            f"heartbeat intervals ({interval:g}s each): a busy but live worker can be taken "
            "for gone and its running jobs marked LOST.",
            hint="Set WORKER_LOST_AFTER to at least three times HEARTBEAT_INTERVAL.",
            id="forge_scheduling.W002",
        )
    ]
