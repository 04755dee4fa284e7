"""Settings of scheduling: ``FORGE["SCHEDULING"]``."""

from __future__ import annotations

from typing import Any

from forge_suite.core.conf import AppSettings, Option
from forge_suite.core.validators import each, non_empty, non_negative, positive

_names = each(non_empty)


def _thresholds(value: Any) -> str | None:
    for queue, seconds in value.items():
        if not isinstance(queue, str) or not isinstance(seconds, int | float) or seconds <= 0:
            return f"{queue!r}: {seconds!r} must be a queue name mapped to seconds > 0"
    return None


DEFAULTS: dict[str, Option] = {
    "HISTORY": Option(
        True, bool, "Record a JobRun row for every execution of every Celery task (two writes)."
    ),
    "HISTORY_FLUSH_INTERVAL": Option(
        0.5,
        (int, float),
        "Seconds between batched history writes in a worker; 0 writes every start and end "
        "immediately (two writes per run).",
        validator=non_negative,
    ),
    "HISTORY_JOURNAL_DIR": Option(
        "",
        str,
        "Directory of the workers' history journals (finished runs not yet in the database, "
        "replayed after a kill -9). Empty: a directory in the system's temp dir named after "
        "the database. Use a path that survives a worker restart (not a tmpfs wiped on start).",
    ),
    "HISTORY_RETENTION_DAYS": Option(
        14, int, "JobRun rows older than this are deleted by the cleanup task.", validator=positive
    ),
    "FAILED_RETENTION_DAYS": Option(
        30,
        int,
        "FailedJob rows older than this are deleted by the cleanup task (0 keeps them forever).",
        validator=non_negative,
    ),
    "ARGS_SUMMARY_LENGTH": Option(
        200,
        int,
        "Characters of repr(args, kwargs) kept in JobRun.args_summary.",
        validator=positive,
    ),
    "HISTORY_EXCLUDE": Option(
        [],
        (list, tuple),
        "Task names (or prefixes ending in '*') whose runs are not recorded.",
        validator=_names,
    ),
    "QUEUES": Option(
        ["high", "default", "low"],
        (list, tuple),
        "Queues `manage.py worker` consumes by default (besides every queue a job declares).",
        validator=_names,
    ),
    "DEFAULT_QUEUE": Option("default", str, "Queue of a job that names none."),
    "MAX_RETRIES": Option(
        3, int, "Retries of a job before it lands in FailedJob.", validator=non_negative
    ),
    "RETRY_BACKOFF": Option(
        2, int, "Base of the exponential backoff in seconds (2, 4, 8, ...).", validator=positive
    ),
    "RETRY_BACKOFF_MAX": Option(
        600, int, "Largest delay between two retries in seconds.", validator=positive
    ),
    "RETRY_JITTER": Option(True, bool, "Randomise each retry delay (full jitter)."),
    "MIDDLEWARE": Option(
        ["forge_suite.scheduling.middleware.LoggingMiddleware"],
        (list, tuple),
        "Job middleware classes (dotted paths) with before/after/failure hooks.",
        validator=_names,
    ),
    "SCHEDULE_MODULES": Option(
        [],
        (list, tuple),
        "Extra modules defining ``schedule(schedule)`` besides each installed app's schedule.py.",
        validator=_names,
    ),
    "AUTODISCOVER": Option(True, bool, "Load ``schedule.py`` of every installed app."),
    "LOCK_PREFIX": Option("forge:scheduling:", str, "Prefix of the Redis keys used for locks."),
    "DEFAULT_LOCK_EXPIRES": Option(
        3600,
        int,
        "Seconds a without_overlapping()/on_one_server() lock lives if its holder dies.",
        validator=positive,
    ),
    "HEARTBEAT_INTERVAL": Option(
        10,
        (int, float),
        "Seconds between two heartbeats of a worker (a row in WorkerHeartbeat).",
        validator=positive,
    ),
    "WORKER_LOST_AFTER": Option(
        60,
        (int, float),
        "Seconds without a heartbeat after which a worker is gone and its STARTED runs are "
        "marked LOST by the reaper (which every live worker runs with its heartbeat).",
        validator=positive,
    ),
    "WAIT_THRESHOLDS": Option(
        {},
        dict,
        "Seconds a job may wait in a queue before the worker sends the queue_wait_exceeded "
        'signal, per queue name ("*" for every other queue), e.g. {"default": 60}. The '
        "dashboard marks queues whose p95 wait is above it.",
        validator=_thresholds,
    ),
    "PUBLISH_TIMEOUT": Option(
        5,
        (int, float),
        "Seconds the admin and the jobs_retry/schedule_run commands wait for the broker "
        "(connect and each socket operation) before reporting it unreachable.",
        validator=positive,
    ),
    "DASHBOARD_WINDOW_MINUTES": Option(
        60, int, "Default time window of the admin dashboard.", validator=positive
    ),
}

app_settings = AppSettings("SCHEDULING", DEFAULTS)
