"""Domain events and listeners over a transactional outbox; an append-only event store with
aggregates, snapshots, upcasting and projections; model observers with webhook, broadcast and
log actions.

Public API::

    from forge_suite.eventstore import Event, append, read_stream, read_all, ANY, NO_STREAM
    from forge_suite.eventstore import Aggregate, Repository, Projector, dispatch, listener
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_suite.core.exports import lazy_dir, lazy_exports

if TYPE_CHECKING:
    from forge_suite.eventstore.aggregates import Aggregate, Repository
    from forge_suite.eventstore.events import Event, RecordedEvent, event_context, upcaster
    from forge_suite.eventstore.exceptions import ConcurrencyError
    from forge_suite.eventstore.handlers import handles
    from forge_suite.eventstore.listeners import dispatch, listener
    from forge_suite.eventstore.outbox import once
    from forge_suite.eventstore.projections import Projector
    from forge_suite.eventstore.store import (
        ANY,
        NO_STREAM,
        NewEvent,
        Position,
        append,
        head,
        iter_all,
        read_all,
        read_stream,
    )

__all__ = [
    "ANY",
    "NO_STREAM",
    "Aggregate",
    "ConcurrencyError",
    "Event",
    "NewEvent",
    "Position",
    "Projector",
    "RecordedEvent",
    "Repository",
    "append",
    "dispatch",
    "event_context",
    "handles",
    "head",
    "iter_all",
    "listener",
    "once",
    "read_all",
    "read_stream",
    "upcaster",
]

_EXPORTS = {
    "Event": "forge_suite.eventstore.events",
    "RecordedEvent": "forge_suite.eventstore.events",
    "event_context": "forge_suite.eventstore.events",
    "upcaster": "forge_suite.eventstore.events",
    "ConcurrencyError": "forge_suite.eventstore.exceptions",
    "ANY": "forge_suite.eventstore.store",
    "NO_STREAM": "forge_suite.eventstore.store",
    "NewEvent": "forge_suite.eventstore.store",
    "Position": "forge_suite.eventstore.store",
    "append": "forge_suite.eventstore.store",
    "head": "forge_suite.eventstore.store",
    "iter_all": "forge_suite.eventstore.store",
    "read_all": "forge_suite.eventstore.store",
    "read_stream": "forge_suite.eventstore.store",
    "Aggregate": "forge_suite.eventstore.aggregates",
    "Repository": "forge_suite.eventstore.aggregates",
    "handles": "forge_suite.eventstore.handlers",
    "dispatch": "forge_suite.eventstore.listeners",
    "listener": "forge_suite.eventstore.listeners",
    "once": "forge_suite.eventstore.outbox",
    "Projector": "forge_suite.eventstore.projections",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)
__dir__ = lazy_dir(__name__, _EXPORTS)
