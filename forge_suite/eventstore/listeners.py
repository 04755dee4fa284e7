"""Listeners of domain events: sync, after commit, or queued through the transactional outbox.

::

    @listener(OrderPaid)                      # runs inside dispatch()
    def update_stock(event): ...

    @listener(OrderPaid, mode="after_commit") # runs once the transaction commits
    def clear_cache(event): ...

    @listener(OrderPaid, mode="queued", max_attempts=5)
    def send_receipt(event, envelope):        # delivered at least once, retried with backoff
        with transaction.atomic():
            if once("send_receipt", envelope.event_id):
                ...

    dispatch(OrderPaid(order_id="42"))
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.utils.module_loading import import_string

from forge_suite.eventstore import outbox
from forge_suite.eventstore.events import (
    Event,
    RecordedEvent,
    current_metadata,
    event_class,
    event_context,
    upcast,
)

__all__ = ["Envelope", "Listener", "dispatch", "dispatch_recorded", "listener", "listeners_for"]

Mode = Literal["sync", "after_commit", "queued"]
MODES = ("sync", "after_commit", "queued")


@dataclass(frozen=True)
class Envelope:
    """What a listener gets beside the event: its id (for idempotency), metadata and attempt."""

    event_id: uuid.UUID
    type: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    attempt: int = 1


@dataclass(frozen=True)
class Listener:
    fn: Callable[..., Any]
    mode: Mode
    max_attempts: int | None
    path: str
    wants_envelope: bool

    def __call__(self, event: Event, envelope: Envelope) -> Any:
        return self.fn(event, envelope) if self.wants_envelope else self.fn(event)


_LISTENERS: dict[str, list[Listener]] = {}
_BY_PATH: dict[str, Listener] = {}


def wants_envelope(fn: Callable[..., Any]) -> bool:
    try:
        params = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
    except (TypeError, ValueError):
        return False
    return len(params) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def listener(
    *event_types: type[Event], mode: Mode = "sync", max_attempts: int | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(event)`` or ``fn(event, envelope)`` for the given event classes.

    Queued listeners must be module-level functions: the outbox stores their dotted path.
    ``max_attempts`` overrides ``OUTBOX_MAX_ATTEMPTS`` for this listener.
    """
    if mode not in MODES:
        raise ValueError(f"listener mode must be one of {', '.join(MODES)}, not {mode!r}")
    if not event_types:
        raise TypeError("@listener() needs at least one Event subclass")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        path = f"{fn.__module__}.{fn.__qualname__}"
        if mode == "queued" and "<locals>" in path:
            raise ValueError(f"queued listener {path} must be a module-level function")
        entry = Listener(fn, mode, max_attempts, path, wants_envelope(fn))
        for event_type in event_types:
            bucket = _LISTENERS.setdefault(event_type.event_type, [])
            bucket[:] = [item for item in bucket if item.path != path]
            bucket.append(entry)
        _BY_PATH[path] = entry
        return fn

    return register


def forget_listener(fn: Callable[..., Any]) -> None:
    """Unregister ``fn`` everywhere (for tests)."""
    path = f"{fn.__module__}.{fn.__qualname__}"
    for bucket in _LISTENERS.values():
        bucket[:] = [item for item in bucket if item.path != path]
    _BY_PATH.pop(path, None)


def listeners_for(type_name: str) -> list[Listener]:
    return list(_LISTENERS.get(type_name, ()))


def listener_by_path(path: str) -> Listener | None:
    """The registered queued listener stored under ``path`` in an outbox message."""
    return _BY_PATH.get(path)


def dispatch(
    event: Event, *, metadata: Mapping[str, Any] | None = None, using: str = "default"
) -> Envelope:
    """Announce ``event`` to its listeners; queued ones are written to the outbox now.

    Call it inside the transaction that makes the change: the outbox rows commit (or roll back)
    with it, and are delivered after the commit.
    """
    event_id = uuid.uuid4()
    envelope = Envelope(event_id, event.event_type, current_metadata(event_id, metadata))
    _fan_out(event, envelope, using)
    return envelope


def dispatch_recorded(event: Event, recorded: RecordedEvent, using: str = "default") -> Envelope:
    """Dispatch an event that was just appended to the store, under its stored id."""
    envelope = Envelope(recorded.event_id, recorded.type, recorded.metadata)
    _fan_out(event, envelope, using)
    return envelope


def _fan_out(event: Event, envelope: Envelope, using: str) -> None:
    queued = []
    for entry in listeners_for(event.event_type):
        if entry.mode == "sync":
            entry(event, envelope)
        elif entry.mode == "after_commit":
            transaction.on_commit(
                lambda e=entry: e(event, envelope),  # type: ignore[misc]
                using=using,
                robust=True,
            )
        else:
            queued.append(
                outbox.OutboxItem(
                    kind="listener",
                    target=entry.path,
                    event_id=envelope.event_id,
                    event_type=envelope.type,
                    payload=outbox.event_payload(event, envelope.metadata),
                    max_attempts=entry.max_attempts,
                )
            )
    if queued:
        outbox.enqueue(queued, using=using)


def _deliver_listener(message: Any) -> None:
    """The outbox action of queued listeners: rebuild the event, run the listener."""
    entry = listener_by_path(message.target)
    if entry is None:
        # Importing the module registers its listeners; a function registered elsewhere (e.g.
        # in an AppConfig.ready() this process did not run) is still the stored target.
        fn = import_string(message.target)
        entry = listener_by_path(message.target) or Listener(
            fn, "queued", None, message.target, wants_envelope(fn)
        )
    payload = message.payload
    _version, data = upcast(payload["type"], int(payload.get("schema_version", 1)), payload["data"])
    event = event_class(payload["type"]).from_data(data)
    metadata = payload.get("metadata") or {}
    envelope = Envelope(message.event_id, message.event_type, metadata, message.attempts)
    with event_context(
        correlation_id=metadata.get("correlation_id"), causation_id=str(message.event_id)
    ):
        entry(event, envelope)


outbox.register_action("listener", _deliver_listener)
