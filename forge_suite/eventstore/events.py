"""Event classes, their registry, schema versions with upcasters, and event metadata.

Events are dataclasses that subclass :class:`Event`::

    @dataclass(frozen=True)
    class OrderPlaced(Event, type_name="shop.OrderPlaced", version=2):
        order_id: str
        total: str

Stored events keep the schema version they were written with; reading applies the registered
upcasters (``@upcaster("shop.OrderPlaced", 1)`` turns v1 data into v2) so code only ever sees
the current shape.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from django.apps import apps
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from forge_suite.eventstore.exceptions import UnknownEventType, UpcastError

__all__ = [
    "Event",
    "RecordedEvent",
    "current_metadata",
    "event_class",
    "event_context",
    "upcast",
    "upcaster",
]

E = TypeVar("E", bound="Event")
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_EVENT_TYPES: dict[str, type[Event]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class Event:
    """Base of domain events. Subclasses are dataclasses; class keywords set the stored name.

    ``type_name`` defaults to the class name; ``version`` (the schema version) defaults to 1.
    """

    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, type_name: str | None = None, version: int = 1, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.event_type = type_name or cls.__name__
        cls.schema_version = version
        _EVENT_TYPES[cls.event_type] = cls

    def to_data(self) -> dict[str, Any]:
        """The JSON-able body stored for this event (the dataclass fields)."""
        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return dict(vars(self))

    @classmethod
    def from_data(cls: type[E], data: Mapping[str, Any]) -> E:
        """Build the event from stored (already upcast) data; unknown keys are ignored."""
        if dataclasses.is_dataclass(cls):
            names = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in names})
        return cls(**data)


def event_class(type_name: str) -> type[Event]:
    """The registered event class of ``type_name`` (raises :class:`UnknownEventType`)."""
    try:
        return _EVENT_TYPES[type_name]
    except KeyError:
        raise UnknownEventType(
            f"no Event subclass is registered as {type_name!r}; import the module that "
            "defines it (e.g. from the app's ready()) before reading such events"
        ) from None


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register ``fn(data) -> data`` that turns ``type_name`` data of ``from_version`` into +1."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(type_name, from_version)] = fn
        return fn

    return register


def current_version(type_name: str) -> int | None:
    """The schema version of the registered class of ``type_name`` (None if unregistered)."""
    cls = _EVENT_TYPES.get(type_name)
    return cls.schema_version if cls is not None else None


def upcast(type_name: str, version: int, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Apply the upcasters from ``version`` up to the event class's current schema version."""
    cls = _EVENT_TYPES.get(type_name)
    target = cls.schema_version if cls is not None else version
    while version < target:
        fn = _UPCASTERS.get((type_name, version))
        if fn is None:
            raise UpcastError(
                f"{type_name} v{version} is stored but the class is at v{target} and no "
                f"upcaster is registered for v{version} (use @upcaster({type_name!r}, {version}))"
            )
        data = fn(dict(data))
        version += 1
    return version, data


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RecordedEvent:
    """An event as read from the store, already upcast to the current schema version.

    A plain slotted class rather than a frozen dataclass: replays build hundreds of thousands
    of these per second. ``data`` and ``metadata`` may arrive as JSON text and
    ``recorded_at`` as integer microseconds or text: each is decoded on first access, so a
    projector that never reads them does not pay for them.
    """

    __slots__ = (
        "_data",
        "_metadata",
        "_recorded_at",
        "event_id",
        "position",
        "schema_version",
        "stream_id",
        "transaction_id",
        "type",
        "version",
    )

    def __init__(
        self,
        position: int,
        transaction_id: int,
        event_id: uuid.UUID,
        stream_id: str,
        version: int,
        type: str,
        schema_version: int,
        data: dict[str, Any] | str,
        metadata: dict[str, Any] | str,
        recorded_at: datetime | int | str | None,
    ) -> None:
        self.position = position
        self.transaction_id = transaction_id
        self.event_id = event_id
        self.stream_id = stream_id
        self.version = version
        self.type = type
        self.schema_version = schema_version
        self._data = data
        self._metadata = metadata
        self._recorded_at = recorded_at

    @property
    def data(self) -> dict[str, Any]:
        if isinstance(self._data, str):
            self._data = json.loads(self._data)
        return self._data  # type: ignore[return-value]

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self._data = value

    @property
    def metadata(self) -> dict[str, Any]:
        if isinstance(self._metadata, str):
            self._metadata = json.loads(self._metadata)
        return self._metadata  # type: ignore[return-value]

    @property
    def recorded_at(self) -> datetime:
        at = self._recorded_at
        if isinstance(at, datetime) and at.tzinfo is not None:
            return at
        if isinstance(at, int):
            at = _EPOCH + timedelta(microseconds=at)
        elif not isinstance(at, datetime):
            at = parse_datetime(str(at))
        if at is not None and at.tzinfo is None:
            at = timezone.make_aware(at, UTC)
        self._recorded_at = at
        return at  # type: ignore[return-value]

    def _key(self) -> tuple[Any, ...]:
        return (self.position, self.event_id, self.stream_id, self.version, self.type, self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordedEvent) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self.event_id)

    def __repr__(self) -> str:
        return (
            f"<RecordedEvent {self.stream_id}@{self.version} {self.type} position={self.position}>"
        )

    @property
    def event(self) -> Event:
        """The event object (its class must be registered)."""
        return event_class(self.type).from_data(self.data)


@dataclass(frozen=True)
class _Context:
    correlation_id: str | None = None
    causation_id: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()


_EMPTY = _Context()
_context: ContextVar[_Context] = ContextVar("forge_eventstore_context", default=_EMPTY)


@contextlib.contextmanager
def event_context(
    *, correlation_id: str | None = None, causation_id: str | None = None, **extra: Any
) -> Iterator[None]:
    """Metadata for every event appended or dispatched inside the block.

    Handlers that react to an event should run under
    ``event_context(correlation_id=e.metadata["correlation_id"], causation_id=str(e.event_id))``
    so the chain of causes stays traceable.
    """
    outer = _context.get()
    token = _context.set(
        _Context(
            correlation_id=correlation_id or outer.correlation_id,
            causation_id=causation_id or outer.causation_id,
            extra=tuple({**dict(outer.extra), **extra}.items()),
        )
    )
    try:
        yield
    finally:
        _context.reset(token)


def _request_id() -> str | None:
    if not apps.is_installed("forge_suite.observability"):
        return None
    from forge_suite.observability.context import get_request_id

    return get_request_id()


def metadata_factory(
    extra: Mapping[str, Any] | None = None,
) -> Callable[[uuid.UUID], dict[str, Any]]:
    """Like :func:`current_metadata`, with the context read once for a batch of events."""
    ctx = _context.get()
    base: dict[str, Any] = {
        "correlation_id": ctx.correlation_id,
        "causation_id": ctx.causation_id,
        "request_id": _request_id(),
    }
    base.update(dict(ctx.extra))
    if extra:
        base.update(extra)
    if ctx.correlation_id is not None:
        return lambda event_id: dict(base)
    return lambda event_id: {**base, "correlation_id": str(event_id)}


def current_metadata(event_id: uuid.UUID, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Metadata stored with a new event: correlation, causation and request ids.

    Without a surrounding :func:`event_context` the event starts its own correlation chain.
    """
    ctx = _context.get()
    meta: dict[str, Any] = {
        "correlation_id": ctx.correlation_id or str(event_id),
        "causation_id": ctx.causation_id,
        "request_id": _request_id(),
    }
    meta.update(dict(ctx.extra))
    if extra:
        meta.update(extra)
    return meta
