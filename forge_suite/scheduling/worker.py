"""What ``manage.py worker`` starts: a Celery worker for the project's queues."""

from __future__ import annotations

from dataclasses import dataclass, field

from kombu.utils.url import maybe_sanitize_url

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.exceptions import BrokerNotConfigured

__all__ = [
    "POOLS",
    "WorkerOptions",
    "broker_url",
    "default_queues",
    "visibility_timeout",
    "visibility_warnings",
    "worker_argv",
]

POOLS = ("prefork", "solo", "threads", "eventlet", "gevent")
BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"


def broker_url() -> str:
    """The configured broker URL; raises BrokerNotConfigured in eager mode."""
    celery_app.loader.import_default_modules()
    url = celery_app.conf.broker_url
    if not url or celery_app.conf.task_always_eager:
        raise BrokerNotConfigured(
            "no Celery broker is configured (jobs run eagerly in-process): set "
            "CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1//"
        )
    return str(url)


def default_queues() -> list[str]:
    """Queues from ``QUEUES``, Celery's default queue and every queue a registered task names."""
    celery_app.loader.import_default_modules()
    names: list[str] = list(app_settings.QUEUES)
    default = str(celery_app.conf.task_default_queue or "celery")
    if default not in names:
        names.append(default)
    for task in list(celery_app.tasks.values()):
        queue = getattr(task, "forge_queue", None) or getattr(task, "queue", None)
        if isinstance(queue, str) and queue and queue not in names:
            names.append(queue)
    return names


#: Kombu's default visibility timeout of the Redis and SQS transports (seconds).
DEFAULT_VISIBILITY_TIMEOUT = 3600


def visibility_timeout(url: str | None = None) -> float | None:
    """The broker's visibility timeout in seconds; None for brokers without one (AMQP).

    On Redis (and SQS) a message is handed back to another worker when it was not
    acknowledged within this time: a job still running then runs twice, and a job killed
    with its worker comes back only after it.
    """
    url = url if url is not None else broker_url()
    if not url.startswith(("redis", "rediss", "sentinel", "sqs")):
        return None
    options = celery_app.conf.broker_transport_options or {}
    return float(options.get("visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT))


def visibility_warnings(queues: list[str] | None = None) -> list[str]:
    """Warnings for jobs whose time limit (or retry delay) exceeds the visibility timeout."""
    timeout = visibility_timeout()
    if timeout is None:
        return []
    celery_app.loader.import_default_modules()
    default_limit = celery_app.conf.task_time_limit
    warnings = []
    for name, task in sorted(celery_app.tasks.items()):
        if name.startswith("celery."):
            continue
        queue = getattr(task, "forge_queue", None) or getattr(task, "queue", None)
        if queues and queue and queue not in queues:
            continue
        limit = getattr(task, "time_limit", None) or default_limit
        if limit and float(limit) > timeout:
            warnings.append(
                f"job {name} may run {float(limit):g}s (its time limit), longer than the "
                f"broker's visibility_timeout of {timeout:g}s: a run still going then is "
                "delivered again and runs twice. Raise "
                'CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] above the longest '
                "time limit."
            )
    if float(app_settings.RETRY_BACKOFF_MAX) > timeout:
        warnings.append(
            f'FORGE["SCHEDULING"]["RETRY_BACKOFF_MAX"] ({app_settings.RETRY_BACKOFF_MAX}s) '
            f"is longer than the broker's visibility_timeout of {timeout:g}s: a retry "
            "waiting that long is delivered again before it is due."
        )
    return warnings


@dataclass
class WorkerOptions:
    queues: list[str] = field(default_factory=list)
    concurrency: int | None = None
    pool: str = "prefork"
    beat: bool = False
    loglevel: str = "INFO"
    hostname: str | None = None
    prefetch_multiplier: int = 1
    max_tasks_per_child: int | None = None
    extra: list[str] = field(default_factory=list)


def worker_argv(options: WorkerOptions) -> list[str]:
    """The ``celery worker`` argument list for ``options``."""
    if options.pool not in POOLS:
        raise ValueError(f"unknown pool {options.pool!r}: use one of {', '.join(POOLS)}")
    argv = [
        "worker",
        f"--queues={','.join(options.queues or default_queues())}",
        f"--pool={options.pool}",
        f"--loglevel={options.loglevel}",
        f"--prefetch-multiplier={options.prefetch_multiplier}",
    ]
    if options.concurrency:
        argv.append(f"--concurrency={options.concurrency}")
    if options.hostname:
        argv.append(f"--hostname={options.hostname}")
    if options.max_tasks_per_child:
        argv.append(f"--max-tasks-per-child={options.max_tasks_per_child}")
    if options.beat:
        argv += ["--beat", f"--scheduler={BEAT_SCHEDULER}"]
    return argv + list(options.extra)


def describe(options: WorkerOptions) -> str:
    """One paragraph saying what the worker will listen to."""
    queues = options.queues or default_queues()
    return (
        f"Forge worker on {maybe_sanitize_url(broker_url())}\n"
        f"  queues: {', '.join(queues)}\n"
        f"  pool: {options.pool}, concurrency: {options.concurrency or 'one per CPU'}, "
        f"prefetch: {options.prefetch_multiplier}\n"
        f"  beat: {'embedded (django-celery-beat database scheduler)' if options.beat else 'off'}"
    )
