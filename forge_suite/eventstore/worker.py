"""The event store worker loop: outbox dispatcher plus live projections.

Catches every projection up from its checkpoint, delivers due outbox messages, then waits for a
NOTIFY (PostgreSQL) or the poll interval, and repeats. Several workers can run side by side:
outbox claims skip each other's rows and projection batches are fenced by their checkpoint.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import close_old_connections

from forge_suite.eventstore.conf import app_settings
from forge_suite.eventstore.exceptions import ProjectionError
from forge_suite.eventstore.outbox import process_outbox
from forge_suite.eventstore.projections import Projector, catch_up, wait_for_events

__all__ = ["WorkerStats", "run_worker"]

logger = logging.getLogger("forge_suite.eventstore.worker")


@dataclass
class WorkerStats:
    rounds: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    projected: dict[str, int] = field(default_factory=dict)


def run_round(projectors: Sequence[Projector], outbox: bool, stats: WorkerStats) -> int:
    """One pass: projections caught up, outbox drained of due messages. Returns work done."""
    work = 0
    for projector in projectors:
        try:
            count = catch_up(projector)
        except ProjectionError as exc:
            logger.error("%s", exc)
            continue
        stats.projected[projector.name] = stats.projected.get(projector.name, 0) + count
        work += count
    while outbox:
        report = process_outbox()
        stats.delivered += report.delivered
        stats.retried += report.retried
        stats.dead += report.dead
        work += report.claimed
        if report.claimed < app_settings.OUTBOX_BATCH:
            break
    stats.rounds += 1
    return work


def run_worker(
    projectors: Sequence[Projector],
    *,
    outbox: bool = True,
    once: bool = False,
    stop: threading.Event | None = None,
    on_round: Callable[[WorkerStats], None] | None = None,
) -> WorkerStats:
    """Run rounds until ``stop`` is set (or once); returns the totals."""
    stats = WorkerStats()
    stop = stop or threading.Event()
    waiter = None if once else wait_for_events()
    woken = False
    try:
        while True:
            close_old_connections()
            run_round(projectors, outbox, stats)
            if on_round:
                on_round(stats)
            if once or stop.is_set():
                return stats
            assert waiter is not None
            # After a wake-up, look again NOTIFY_INTERVAL later: writers skip NOTIFYs that
            # close together, so events committed just after the one that woke us get no
            # NOTIFY of their own.
            timeout = (
                float(app_settings.NOTIFY_INTERVAL) if woken else float(app_settings.POLL_INTERVAL)
            )
            woken = waiter.wait(timeout, stop)
    finally:
        if waiter is not None:
            waiter.close()
