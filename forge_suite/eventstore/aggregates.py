"""Event-sourced aggregates: state rebuilt from its stream, saved with optimistic concurrency.

::

    class Order(Aggregate):
        snapshot_every = 50

        def __init__(self, id: str) -> None:
            super().__init__(id)
            self.status = "new"

        def pay(self) -> None:
            if self.status != "placed":
                raise ValueError("only placed orders can be paid")
            self.record(OrderPaid(order_id=self.id))

        @handles(OrderPaid)
        def _paid(self, event: OrderPaid) -> None:
            self.status = "paid"

    repo = Repository(Order)
    order = repo.load("42"); order.pay(); repo.save(order)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from django.db import transaction

from forge_suite.eventstore.events import Event, RecordedEvent, event_class
from forge_suite.eventstore.exceptions import AggregateNotFound
from forge_suite.eventstore.handlers import HandlerTable
from forge_suite.eventstore.store import NO_STREAM, append, read_stream

__all__ = ["Aggregate", "Repository"]

A = TypeVar("A", bound="Aggregate")


class Aggregate(HandlerTable):
    """Base of event-sourced aggregates.

    Change state only by ``record(event)``, which applies the event through its ``@handles``
    method and queues it for :meth:`Repository.save`. ``snapshot_every`` (0 = never) makes the
    repository store a snapshot each time the version crosses a multiple of it.
    """

    #: Prefix of the stream ids (``"<prefix>-<id>"``); defaults to the class name in lower case.
    stream_prefix: ClassVar[str] = ""
    #: Store a snapshot every N events (0 turns snapshots off).
    snapshot_every: ClassVar[int] = 0

    def __init__(self, id: str) -> None:
        self.id = str(id)
        self.version = 0
        self._pending: list[Event] = []

    @classmethod
    def stream_id_for(cls, id: str) -> str:
        return f"{cls.stream_prefix or cls.__name__.lower()}-{id}"

    @property
    def stream_id(self) -> str:
        return self.stream_id_for(self.id)

    def record(self, event: Event) -> None:
        """Apply ``event`` now and keep it to be appended on save."""
        self.apply(event)
        self._pending.append(event)

    def apply(self, event: Event) -> None:
        """Run the ``@handles`` method of ``event``'s type (events without one change nothing)."""
        method = self._handlers.get(event.event_type)
        if method is not None:
            getattr(self, method)(event)
        self.version += 1

    @property
    def pending_events(self) -> list[Event]:
        return list(self._pending)

    def snapshot_state(self) -> dict[str, Any]:
        """JSON-able state for a snapshot; override when attributes are not plain JSON."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "version"}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Set the state saved by :meth:`snapshot_state`."""
        for key, value in state.items():
            setattr(self, key, value)

    @classmethod
    def _blank(cls: type[A], id: str) -> A:
        aggregate = cls.__new__(cls)
        Aggregate.__init__(aggregate, id)
        return aggregate


class Repository(Generic[A]):
    """Loads aggregates by replaying their stream (from the latest snapshot) and saves them."""

    def __init__(self, aggregate_class: type[A], using: str = "default") -> None:
        self.aggregate_class = aggregate_class
        self.using = using

    def load(self, id: str, *, version: int | None = None) -> A:
        """The aggregate as of its last event (or ``version``); raises AggregateNotFound if none."""
        from forge_suite.eventstore.models import Snapshot

        cls = self.aggregate_class
        stream_id = cls.stream_id_for(id)
        snapshots = Snapshot.objects.using(self.using).filter(stream_id=stream_id)
        if version is not None:
            snapshots = snapshots.filter(version__lte=version)
        snapshot = snapshots.order_by("-version").first() if cls.snapshot_every else None
        if snapshot is not None:
            aggregate = cls._blank(id)
            aggregate.restore_state(snapshot.state)
            aggregate.version = snapshot.version
        else:
            aggregate = cls(id)
        events = read_stream(stream_id, aggregate.version + 1, version, using=self.using)
        if not events and snapshot is None:
            raise AggregateNotFound(f"no events in stream {stream_id!r}")
        for recorded in events:
            aggregate.apply(event_class(recorded.type).from_data(recorded.data))
        return aggregate

    def save(self, aggregate: A, *, dispatch: bool = True) -> list[RecordedEvent]:
        """Append the pending events expecting the version the aggregate was loaded at.

        Raises :class:`ConcurrencyError` when someone saved the stream in between; listeners of
        the events are dispatched in the same transaction (queued ones through the outbox).
        """
        pending = aggregate._pending
        if not pending:
            return []
        loaded_at = aggregate.version - len(pending)
        with transaction.atomic(using=self.using):
            recorded = append(
                aggregate.stream_id,
                pending,
                NO_STREAM if loaded_at == 0 else loaded_at,
                using=self.using,
            )
            every = aggregate.snapshot_every
            if every and loaded_at // every != aggregate.version // every:
                self._snapshot(aggregate)
            if dispatch:
                from forge_suite.eventstore.listeners import dispatch_recorded

                for event, rec in zip(pending, recorded, strict=True):
                    dispatch_recorded(event, rec)
        aggregate._pending = []
        return recorded

    def _snapshot(self, aggregate: A) -> None:
        from forge_suite.eventstore.models import Snapshot

        Snapshot.objects.using(self.using).create(
            stream_id=aggregate.stream_id,
            version=aggregate.version,
            type=type(aggregate).__name__,
            state=aggregate.snapshot_state(),
        )
