"""Projections: read models kept up to date from the global order, with a checkpoint each.

::

    class OrderSummaryProjector(Projector):
        name = "order_summary"
        models = [OrderSummary]          # the tables it owns (rebuilt by eventstore_replay)

        @handles(OrderPlaced)
        def placed(self, event: RecordedEvent) -> None:
            OrderSummary.objects.create(order_id=event.data["order_id"], ...)

A batch of handler writes and the checkpoint commit in one transaction, so each event takes
effect exactly once even if the runner dies mid-way. Runners read with :func:`store.read_all`,
which never skips an event that commits late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.db import connections, models, transaction
from django.utils import timezone

from forge_suite.core.metrics import metrics
from forge_suite.eventstore import signals
from forge_suite.eventstore.conf import app_settings
from forge_suite.eventstore.events import RecordedEvent
from forge_suite.eventstore.exceptions import ProjectionError
from forge_suite.eventstore.handlers import HandlerTable
from forge_suite.eventstore.store import START, Position, head, read_all

__all__ = ["Projector", "catch_up", "checkpoint_of", "registered_projectors", "wait_for_events"]

logger = logging.getLogger("forge_suite.eventstore.projections")

_PROJECTORS: dict[str, type[Projector]] = {}


class Projector(HandlerTable):
    """Base of projections: ``@handles`` methods receive each :class:`RecordedEvent`.

    ``name`` identifies the checkpoint (default: the class name); ``models`` lists the tables
    the projection owns, which a replay rebuilds into fresh copies and swaps in.
    """

    name: ClassVar[str] = ""
    models: ClassVar[Sequence[type[models.Model]]] = ()
    #: Events per transaction (default READ_BATCH).
    batch_size: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__
        _PROJECTORS[cls.name] = cls

    def handle(self, event: RecordedEvent) -> None:
        method = self._handlers.get(event.type)
        if method is not None:
            getattr(self, method)(event)

    def reset(self) -> None:
        """Empty the projection's tables (a replay without fresh tables starts from here)."""
        for model in self.models:
            model._default_manager.all().delete()


def registered_projectors() -> dict[str, type[Projector]]:
    """Every Projector subclass imported so far, by name."""
    return dict(_PROJECTORS)


def projector_class(name: str) -> type[Projector]:
    """The projector called ``name``; configured PROJECTIONS are imported first."""
    for cls in app_settings.PROJECTIONS:
        _PROJECTORS.setdefault(cls.name, cls)
    try:
        return _PROJECTORS[name]
    except KeyError:
        known = ", ".join(sorted(_PROJECTORS)) or "none"
        raise ProjectionError(f"unknown projection {name!r} (known: {known})") from None


def checkpoint_of(name: str, using: str = "default") -> Position:
    """Where projection ``name`` stands (START if it never ran)."""
    from forge_suite.eventstore.models import ProjectionCheckpoint

    row = ProjectionCheckpoint.objects.using(using).filter(name=name).first()
    return Position(row.transaction_id, row.position) if row else START


def apply_batch(
    projector: Projector,
    events: Sequence[RecordedEvent],
    expected: Position,
    *,
    checkpoint_name: str | None = None,
    using: str = "default",
) -> bool:
    """Apply ``events`` and move the checkpoint from ``expected`` in one transaction.

    Returns False (and applies nothing) if another runner moved the checkpoint meanwhile.
    """
    from forge_suite.eventstore.models import ProjectionCheckpoint

    name = checkpoint_name or projector.name
    last = events[-1]
    with transaction.atomic(using=using):
        row, _ = (
            ProjectionCheckpoint.objects.using(using).select_for_update().get_or_create(name=name)
        )
        if Position(row.transaction_id, row.position) != expected:
            return False
        for event in events:
            try:
                projector.handle(event)
            except Exception as exc:
                raise ProjectionError(
                    f"projection {name!r} failed on event {event.position} ({event.type}): {exc}"
                ) from exc
        row.transaction_id, row.position = last.transaction_id, last.position
        row.events_processed += len(events)
        row.last_error = ""
        row.updated_at = timezone.now()
        row.save()
    signals.projection_advanced.send(
        sender=type(projector),
        name=name,
        count=len(events),
        position=Position(last.transaction_id, last.position),
    )
    return True


def catch_up(
    projector: Projector,
    *,
    using: str = "default",
    max_events: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Apply every event after the projection's checkpoint; returns how many were applied."""
    size = projector.batch_size or app_settings.READ_BATCH
    types = projector.handled_types() or None
    done = 0
    while max_events is None or done < max_events:
        position = checkpoint_of(projector.name, using)
        events = read_all(position, size, types=types, using=using)
        if not events:
            metrics().record_projection_lag(projector.name, 0)
            break
        try:
            applied = apply_batch(projector, events, position, using=using)
        except ProjectionError as exc:
            _record_error(projector.name, str(exc), using)
            raise
        if applied:
            done += len(events)
            if progress:
                progress(len(events))
        if len(events) < size:
            # Nothing more of the projection's event types is readable: it is caught up.
            metrics().record_projection_lag(projector.name, 0)
            break
        if applied:
            metrics().record_projection_lag(
                projector.name, head(using).position - events[-1].position
            )
    return done


def _record_error(name: str, error: str, using: str) -> None:
    from forge_suite.eventstore.models import ProjectionCheckpoint

    ProjectionCheckpoint.objects.using(using).update_or_create(
        name=name, defaults={"last_error": error[:2000], "updated_at": timezone.now()}
    )


class _Listener:
    """LISTEN on PostgreSQL from a dedicated session connection (NOTIFY is only a wake-up)."""

    def __init__(self, using: str) -> None:
        self.conn: Any = None
        connection = connections[using]
        if connection.vendor != "postgresql" or not app_settings.NOTIFY:
            return
        import psycopg

        try:
            self.conn = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            self.conn.execute(f'LISTEN "{app_settings.NOTIFY_CHANNEL}"')
        except psycopg.Error as exc:  # fall back to polling
            logger.warning("LISTEN unavailable, polling instead: %s", exc)
            self.conn = None

    def wait(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Wait up to ``timeout`` seconds; True if woken by a NOTIFY."""
        if self.conn is None:
            if stop is not None:
                stop.wait(timeout)
            else:
                time.sleep(timeout)
            return False
        # In slices, so that a stop request is seen within half a second.
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            for _ in self.conn.notifies(timeout=min(left, 0.5), stop_after=1):
                return True
            if stop is not None and stop.is_set():
                return False
        return False

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def wait_for_events(using: str = "default") -> _Listener:
    """A waiter: ``.wait(seconds)`` returns early when an append is notified."""
    return _Listener(using)
