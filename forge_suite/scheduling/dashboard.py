"""Figures for the admin dashboard: throughput, percentiles, failures, queue depth, schedules."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.models import FailedJob, JobRun, JobState

logger = logging.getLogger("forge_suite.scheduling.dashboard")

#: Rows read per dashboard view at most (keeps the page bounded on busy systems).
MAX_ROWS = 50_000


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class Stats:
    name: str
    runs: int = 0
    failures: int = 0
    retries: int = 0
    lost: int = 0
    runtimes: list[float] = field(default_factory=list, repr=False)
    waits: list[float] = field(default_factory=list, repr=False)
    depth: int | None = None
    per_minute: float = 0.0
    wait_threshold: float | None = None

    @property
    def waiting_too_long(self) -> bool:
        """Whether the p95 wait is above the queue's ``WAIT_THRESHOLDS`` entry."""
        p95 = self.wait_p95
        return self.wait_threshold is not None and p95 is not None and p95 > self.wait_threshold

    def runtime_p(self, pct: float) -> float | None:
        return percentile(self.runtimes, pct)

    def wait_p(self, pct: float) -> float | None:
        return percentile(self.waits, pct)

    @property
    def runtime_p50(self) -> float | None:
        return self.runtime_p(50)

    @property
    def runtime_p95(self) -> float | None:
        return self.runtime_p(95)

    @property
    def wait_p50(self) -> float | None:
        return self.wait_p(50)

    @property
    def wait_p95(self) -> float | None:
        return self.wait_p(95)


def job_stats(
    window_minutes: int, now: dt.datetime | None = None
) -> tuple[list[Stats], list[Stats]]:
    """Per-queue and per-task figures over the last ``window_minutes``."""
    now = now or timezone.now()
    since = now - dt.timedelta(minutes=window_minutes)
    rows = JobRun.objects.filter(started_at__gte=since).values_list(
        "queue", "task_name", "state", "runtime", "wait_time"
    )[:MAX_ROWS]
    queues: dict[str, Stats] = {}
    tasks: dict[str, Stats] = {}
    for queue, task, state, runtime, wait in rows:
        for table, key in ((queues, queue or "-"), (tasks, task)):
            stats = table.get(key)
            if stats is None:
                stats = table[key] = Stats(key)
            stats.runs += 1
            if state == JobState.FAILURE:
                stats.failures += 1
            elif state == JobState.RETRY:
                stats.retries += 1
            elif state == JobState.LOST:
                stats.lost += 1
            if runtime is not None and state != JobState.STARTED:
                stats.runtimes.append(runtime)
            if wait is not None:
                stats.waits.append(wait)
    for stats in [*queues.values(), *tasks.values()]:
        stats.per_minute = stats.runs / window_minutes
    return (
        sorted(queues.values(), key=lambda s: s.name),
        sorted(tasks.values(), key=lambda s: (-s.runs, s.name)),
    )


def queue_depths(queues: Iterable[str]) -> dict[str, int | None] | None:
    """Messages waiting in each queue on the broker; None in eager mode (no broker)."""
    if celery_app.conf.task_always_eager or not celery_app.conf.broker_url:
        return None
    depths: dict[str, int | None] = {}
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            for name in queues:
                channel: Any = conn.channel()
                try:
                    depths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except Exception:
                    depths[name] = 0  # the broker does not know the queue: nothing waits in it
                finally:
                    try:
                        channel.close()
                    except Exception:
                        logger.debug("closing a broker channel failed", exc_info=True)
    except Exception:
        logger.warning("queue depth unavailable: broker not reachable", exc_info=True)
        return dict.fromkeys(queues)
    return depths


def schedules(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Events of the code schedule with beat's last run and the next run time."""
    from django_celery_beat.models import PeriodicTask

    from forge_suite.scheduling.scheduler import load_schedule
    from forge_suite.scheduling.sync import entry_name

    try:
        schedule = load_schedule()
    except Exception as exc:
        return [{"name": "schedule cannot be loaded", "error": str(exc)}]
    entries = {
        e.name: e for e in PeriodicTask.objects.filter(name__in=[entry_name(ev) for ev in schedule])
    }
    result = []
    for event in schedule:
        entry = entries.get(entry_name(event))
        next_run = event.next_run(now)
        if event.interval is not None and entry is not None and entry.last_run_at:
            # An interval counts from beat's last run, not from now.
            next_run = max(entry.last_run_at + event.interval, now or timezone.now())
        result.append(
            {
                "name": event.name,
                "timing": event.timing(),
                "timezone": event.tz.key,
                "next_run": next_run,
                "last_run": entry.last_run_at if entry else None,
                "synced": entry is not None,
                "enabled": entry.enabled if entry else False,
            }
        )
    return result


def workers(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every worker that sent a heartbeat, with its status and the runs it has going."""
    from django.db.models import Count

    from forge_suite.scheduling.heartbeat import worker_status
    from forge_suite.scheduling.models import WorkerHeartbeat

    now = now or timezone.now()
    running = dict(
        JobRun.objects.filter(state=JobState.STARTED, eager=False)
        .values_list("worker")
        .annotate(n=Count("id"))
        .values_list("worker", "n")
    )
    return [
        {
            "hostname": beat.hostname,
            "status": worker_status(beat.last_seen, beat.stopped_at, now),
            "queues": beat.queues,
            "concurrency": beat.concurrency,
            "started_at": beat.started_at,
            "last_seen": beat.last_seen,
            "running": running.get(beat.hostname, 0),
        }
        for beat in WorkerHeartbeat.objects.all()
    ]


#: Bars per chart.
BUCKETS = 30


def timeseries(window_minutes: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Throughput, failures and median runtime per time bucket over the window, as SVG charts."""
    from forge_suite.scheduling.charts import bar_chart

    now = now or timezone.now()
    since = now - dt.timedelta(minutes=window_minutes)
    size = window_minutes * 60 / BUCKETS
    starts = [since + dt.timedelta(seconds=size * i) for i in range(BUCKETS)]
    runs = [0] * BUCKETS
    failures = [0] * BUCKETS
    runtimes: list[list[float]] = [[] for _ in range(BUCKETS)]
    rows = JobRun.objects.filter(started_at__gte=since, started_at__lte=now).values_list(
        "started_at", "state", "runtime"
    )[:MAX_ROWS]
    for started, state, runtime in rows:
        index = min(BUCKETS - 1, int((started - since).total_seconds() // size))
        runs[index] += 1
        if state == JobState.FAILURE:
            failures[index] += 1
        if runtime is not None and state != JobState.STARTED:
            runtimes[index].append(runtime)
    per_minute = [count * 60 / size for count in runs]
    medians = [percentile(values, 50) for values in runtimes]
    return {
        "throughput": bar_chart("chart-throughput", "Jobs per minute", starts, per_minute),
        "runtime": bar_chart(
            "chart-runtime", "Median runtime", starts, medians, unit=" s", color="#79aec8"
        ),
        "failures": bar_chart(
            "chart-failures", "Failed runs", starts, [float(f) for f in failures], color="#ba2121"
        ),
    }


def running_jobs(limit: int = 200) -> list[JobRun]:
    """Runs going on now (STARTED on a worker), oldest first."""
    return list(
        JobRun.objects.filter(state=JobState.STARTED, eager=False).order_by("started_at", "id")[
            :limit
        ]
    )


def wait_threshold(queue: str) -> float | None:
    """The ``WAIT_THRESHOLDS`` entry of ``queue`` (or of ``"*"``), None when unset."""
    from forge_suite.scheduling.conf import app_settings

    thresholds = app_settings.WAIT_THRESHOLDS
    value = thresholds.get(queue, thresholds.get("*"))
    return float(value) if value is not None else None


def dashboard_context(window_minutes: int, now: dt.datetime | None = None) -> dict[str, Any]:
    queues, tasks = job_stats(window_minutes, now)
    from forge_suite.scheduling.worker import default_queues

    names = sorted({*default_queues(), *(q.name for q in queues)} - {"-"})
    depths = queue_depths(names)
    by_name = {q.name: q for q in queues}
    rows = []
    for name in names:
        stats = by_name.get(name) or Stats(name)
        stats.depth = depths.get(name) if depths is not None else None
        stats.wait_threshold = wait_threshold(name)
        rows.append(stats)
    failed_total = FailedJob.objects.count()
    return {
        "window": window_minutes,
        "queues": rows,
        "tasks": tasks,
        "eager": depths is None,
        "failed_total": failed_total,
        "recent_failed": list(FailedJob.objects.all()[:10]),
        "schedules": schedules(now),
        "workers": workers(now),
        "running": running_jobs(),
        "charts": timeseries(window_minutes, now),
        "totals": {
            "runs": sum(q.runs for q in queues),
            "failures": sum(q.failures for q in queues),
            "lost": sum(q.lost for q in queues),
            "per_minute": sum(q.per_minute for q in queues),
        },
    }
