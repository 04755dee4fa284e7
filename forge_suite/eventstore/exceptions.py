"""Errors raised by forge_suite.eventstore."""

from __future__ import annotations

from typing import Any

from forge_suite.core.exceptions import ForgeError


class EventStoreError(ForgeError):
    """Base class of every error raised by forge_suite.eventstore."""


class ConcurrencyError(EventStoreError):
    """An append found the stream at another version than the caller expected.

    Reload the aggregate (or re-read the stream) and retry the command.
    """

    def __init__(self, stream_id: str, expected: Any, actual: int | None) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        where = "does not exist" if not actual else f"is at version {actual}"
        super().__init__(
            f"stream {stream_id!r} {where}, but the append expected {_describe(expected)}"
        )


def _describe(expected: Any) -> str:
    if isinstance(expected, int):
        return f"version {expected}"
    return str(expected)


class ImmutableEventError(EventStoreError, PermissionError):
    """Stored events are append-only: they cannot be updated or deleted."""


class UnknownEventType(EventStoreError, LookupError):
    """No event class is registered under a stored event's type name."""


class UpcastError(EventStoreError, ValueError):
    """The upcasters cannot bring an event from its stored schema version to the current one."""


class AggregateNotFound(EventStoreError, LookupError):
    """No events exist for the aggregate that was asked for."""


class ProjectionError(EventStoreError):
    """A projection is unknown, misconfigured or failed while applying events."""


class WebhookError(EventStoreError):
    """A webhook could not be delivered (the message says why)."""
