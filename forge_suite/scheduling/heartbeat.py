"""Worker heartbeats and the reaper of runs whose worker is gone.

Every worker's main process replays the history journals of killed processes
(:mod:`.journal`), then writes a :class:`~forge_suite.scheduling.models.WorkerHeartbeat`
row when it is ready and every ``HEARTBEAT_INTERVAL`` seconds, and stamps ``stopped_at`` on a
clean shutdown. With the same beat it runs :func:`reap_lost_runs`: a STARTED run whose worker
stopped, has not been seen for ``WORKER_LOST_AFTER`` seconds, or was restarted after the run
began (the same hostname, a new process) will never finish and is marked LOST. The database is
the one store every deployment has, and the dashboard reads worker status from the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from typing import Any

from celery import signals as celery_signals
from django.db import DatabaseError, close_old_connections
from django.db.models import Q
from django.utils import timezone

from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.journal import replay_journals

__all__ = ["WORKER_GONE_REASON", "reap_lost_runs", "worker_status"]

logger = logging.getLogger("forge_suite.scheduling.heartbeat")

WORKER_GONE_REASON = "The worker running this job stopped sending heartbeats (killed or lost)."


def worker_status(last_seen: dt.datetime, stopped_at: dt.datetime | None, now: dt.datetime) -> str:
    """``online``, ``stopped`` (clean shutdown) or ``gone`` (no heartbeat for too long)."""
    if stopped_at is not None:
        return "stopped"
    if (now - last_seen).total_seconds() > float(app_settings.WORKER_LOST_AFTER):
        return "gone"
    return "online"


def reap_lost_runs(now: dt.datetime | None = None) -> int:
    """Mark STARTED runs whose worker is gone as LOST; return how many."""
    from forge_suite.scheduling.models import JobRun, JobState, WorkerHeartbeat

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=float(app_settings.WORKER_LOST_AFTER))
    gone = WorkerHeartbeat.objects.filter(Q(last_seen__lt=cutoff) | Q(stopped_at__isnull=False))
    lost = JobRun.objects.filter(
        worker__in=list(gone.values_list("hostname", flat=True)),
        state=JobState.STARTED,
        eager=False,
    ).update(state=JobState.LOST, finished_at=now, exception=WORKER_GONE_REASON)
    # A worker restarted under the same hostname: runs begun before its start are orphans.
    restarted = WorkerHeartbeat.objects.filter(last_seen__gte=cutoff, stopped_at__isnull=True)
    for hostname, started_at in restarted.values_list("hostname", "started_at"):
        lost += JobRun.objects.filter(
            worker=hostname, state=JobState.STARTED, eager=False, started_at__lt=started_at
        ).update(state=JobState.LOST, finished_at=now, exception=WORKER_GONE_REASON)
    return lost


class _Heart:
    """The heartbeat thread of one worker main process."""

    def __init__(self) -> None:
        self.hostname = ""
        self.queues, self.concurrency = "", 0
        self.registered = False
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, hostname: str, queues: str, concurrency: int) -> None:
        self.hostname = hostname
        self.queues, self.concurrency = queues, concurrency
        self.registered = False
        try:
            self.register()
        except DatabaseError as exc:  # down, or (SQLite) locked by another writer right now
            logger.warning(
                "registering the worker heartbeat failed (%s); the next beat retries", exc
            )
        self.stop.clear()
        self.thread = threading.Thread(target=self._run, name="forge-worker-heartbeat", daemon=True)
        self.thread.start()

    def register(self) -> None:
        """Write this worker's heartbeat row (started now, alive now)."""
        from forge_suite.scheduling.models import WorkerHeartbeat

        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            hostname=self.hostname,
            defaults={
                "pid": os.getpid(),
                "queues": self.queues[:1000],
                "concurrency": self.concurrency,
                "started_at": now,
                "last_seen": now,
                "stopped_at": None,
            },
        )
        self.registered = True
        replay_journals()  # rows finished by killed processes, before the reaper looks

    def beat(self) -> None:
        from forge_suite.scheduling.models import WorkerHeartbeat

        if not self.registered:
            self.register()
            return

        WorkerHeartbeat.objects.filter(hostname=self.hostname).update(last_seen=timezone.now())
        replay_journals()
        reaped = reap_lost_runs()
        if reaped:
            logger.warning("marked %s run(s) of gone workers as LOST", reaped)

    def _run(self) -> None:
        while not self.stop.wait(float(app_settings.HEARTBEAT_INTERVAL)):
            try:
                self.beat()
            except Exception:
                logger.exception("worker heartbeat failed")
                close_old_connections()

    def shutdown(self) -> None:
        from forge_suite.scheduling.models import WorkerHeartbeat

        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        if self.hostname:
            WorkerHeartbeat.objects.filter(hostname=self.hostname).update(stopped_at=timezone.now())


_heart = _Heart()


def _on_worker_init(**_: Any) -> None:
    # Before the consumer starts: a redelivered message then finds its earlier attempt.
    try:
        replay_journals()
    except Exception:
        logger.exception("could not replay the job history journals")


def _on_worker_ready(sender: Any = None, **_: Any) -> None:
    try:
        queues = ",".join(sorted(q.name for q in sender.task_consumer.queues))
    except Exception:
        queues = ""
    try:
        concurrency = int(getattr(sender.pool, "limit", 0) or 0)
        _heart.start(str(sender.hostname), queues, concurrency)
    except Exception:
        logger.exception("could not start the worker heartbeat")


def _on_worker_shutdown(**_: Any) -> None:
    try:
        _heart.shutdown()
    except Exception:
        logger.exception("could not record the worker shutdown")


def connect() -> None:
    """Connect the heartbeat's Celery receivers (called from ``SchedulingConfig.ready()``)."""
    celery_signals.worker_init.connect(
        _on_worker_init, weak=False, dispatch_uid="forge_scheduling.journal_replay"
    )
    celery_signals.worker_ready.connect(
        _on_worker_ready, weak=False, dispatch_uid="forge_scheduling.heartbeat_start"
    )
    celery_signals.worker_shutdown.connect(
        _on_worker_shutdown, weak=False, dispatch_uid="forge_scheduling.heartbeat_stop"
    )
