"""The eventstore loop inside a Celery worker (``manage.py worker``), as Horizon runs everything
from one command: projections caught up and kept live, due outbox messages delivered.

The loop runs in a daemon thread of the worker's main process, started when the worker is ready
(after its pool has forked) and stopped when it shuts down. It is the loop of
``manage.py eventstore_worker``, so both can run side by side: outbox claims skip each other's
rows and projection batches are fenced by their checkpoints. A failed round (database down)
is logged and retried after ``POLL_INTERVAL``, without taking the worker down.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from forge_suite.eventstore.conf import app_settings

__all__ = ["connect_worker_signals", "embedded_enabled", "start", "stop"]

logger = logging.getLogger("forge_suite.eventstore.worker")

_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()


def embedded_enabled() -> bool:
    """``RUN_IN_WORKER``, or (unset) whether any projection is configured."""
    configured = app_settings.RUN_IN_WORKER
    if configured is None:
        return bool(app_settings.PROJECTIONS)
    return bool(configured)


def _run() -> None:
    from django.db import DatabaseError, connections

    from forge_suite.eventstore.worker import run_worker

    projectors = [cls() for cls in app_settings.PROJECTIONS]
    names = ", ".join(p.name for p in projectors) or "none"
    logger.info("forge_eventstore: running in this worker (projections: %s, outbox)", names)
    try:
        while not _stop.is_set():
            pause = float(app_settings.POLL_INTERVAL)
            try:
                run_worker(projectors, outbox=True, stop=_stop)
            except DatabaseError as exc:  # down, restarting, or (SQLite) locked by a writer
                logger.warning(
                    "forge_eventstore: a round failed (%s: %s); retrying in %g s",
                    type(exc).__name__,
                    exc,
                    pause,
                )
                connections.close_all()
                _stop.wait(pause)
            except Exception:
                logger.exception("forge_eventstore: the embedded loop failed; retrying")
                _stop.wait(pause)
    finally:
        connections.close_all()
        logger.info("forge_eventstore: stopped in this worker")


def start(**_: Any) -> bool:
    """Start the loop (once per process); False when it is not enabled."""
    global _thread
    if not embedded_enabled():
        return False
    with _lock:
        if _thread is not None and _thread.is_alive():
            return True
        _stop.clear()
        _thread = threading.Thread(target=_run, name="forge-eventstore", daemon=True)
        _thread.start()
    return True


def stop(timeout: float = 10.0, **_: Any) -> None:
    """Ask the loop to stop after its current round and wait for it."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    _stop.set()
    if thread is not None:
        thread.join(timeout)


def connect_worker_signals() -> None:
    """Start with every Celery worker's main process and stop with it (from ``ready()``)."""
    try:
        from celery.signals import worker_ready, worker_shutdown
    except ImportError:  # Celery is optional for the event store itself
        return
    worker_ready.connect(start, weak=False, dispatch_uid="forge_eventstore.embedded.start")
    worker_shutdown.connect(stop, weak=False, dispatch_uid="forge_eventstore.embedded.stop")
