"""Declarative model observers: conditions on create/update/delete, actions through the outbox.

::

    class OrderPaidObserver(Observer):
        model = OrderSummary
        on = ["update"]
        when = changed_to("status", "paid")
        actions = [Webhook("shop", "order.paid"), Broadcast("orders", "order.paid"), Log()]

An observed change writes one outbox message per action in the transaction of the save (wrap
the save in ``transaction.atomic`` to make them commit together). Observers are silent while a
projection is being replayed, so a rebuild does not call webhooks again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import models
from django.db.models.signals import post_delete, post_init, post_save

from forge_suite.eventstore.outbox import OutboxItem, enqueue, register_action

__all__ = [
    "Action",
    "Broadcast",
    "Change",
    "Log",
    "Observer",
    "Webhook",
    "changed",
    "changed_to",
    "silenced",
]

logger = logging.getLogger("forge_suite.eventstore.observers")
_silenced: ContextVar[bool] = ContextVar("forge_eventstore_observers_silenced", default=False)
_INITIAL = "_forge_observed_initial"


@dataclass(frozen=True)
class Change:
    """One observed change: ``old`` is None on create, ``new`` is None on delete."""

    model: str
    pk: Any
    operation: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None

    def changed_fields(self) -> dict[str, list[Any]]:
        if self.old is None or self.new is None:
            return {}
        return {k: [self.old.get(k), v] for k, v in self.new.items() if self.old.get(k) != v}

    def as_payload(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "pk": self.pk,
            "operation": self.operation,
            "changes": self.changed_fields(),
            "data": dict(self.new if self.new is not None else self.old or {}),
        }


class Condition:
    """A predicate on a :class:`Change`; combine with ``&``, ``|`` and ``~``."""

    def __init__(self, test: Callable[[Change], bool], text: str) -> None:
        self.test, self.text = test, text

    def __call__(self, change: Change) -> bool:
        return bool(self.test(change))

    def __and__(self, other: Condition) -> Condition:
        return Condition(lambda c: self(c) and other(c), f"({self.text} and {other.text})")

    def __or__(self, other: Condition) -> Condition:
        return Condition(lambda c: self(c) or other(c), f"({self.text} or {other.text})")

    def __invert__(self) -> Condition:
        return Condition(lambda c: not self(c), f"not {self.text}")

    def __repr__(self) -> str:
        return self.text


def _value(state: Mapping[str, Any] | None, field: str) -> Any:
    return None if state is None else state.get(field)


def changed(field: str) -> Condition:
    """``field`` has another value than before (a create counts when it is set)."""
    return Condition(lambda c: _value(c.old, field) != _value(c.new, field), f"{field} changed")


def changed_to(field: str, value: Any) -> Condition:
    """``field`` became ``value`` in this change."""
    return Condition(
        lambda c: _value(c.new, field) == value and _value(c.old, field) != value,
        f"{field} changed to {value!r}",
    )


class Action:
    """What an observer does; ``kind`` names the outbox action that delivers it."""

    kind: ClassVar[str] = ""

    def target(self) -> str:
        return ""

    def payload(self, change: Change, observer: type[Observer]) -> dict[str, Any]:
        return {**change.as_payload(), "observer": observer.name}


class Webhook(Action):
    """Call a webhook endpoint (by name) with the change as ``data``."""

    kind = "webhook"

    def __init__(self, endpoint: str, event_type: str) -> None:
        self.endpoint, self.event_type = endpoint, event_type

    def target(self) -> str:
        return self.endpoint

    def payload(self, change: Change, observer: type[Observer]) -> dict[str, Any]:
        from django.utils import timezone

        return {
            "type": self.event_type,
            "timestamp": timezone.now().isoformat(),
            "data": super().payload(change, observer),
        }


class Broadcast(Action):
    """Broadcast the change on a realtime channel (``forge_suite.realtime``'s public API)."""

    kind = "broadcast"

    def __init__(self, channel: str, event: str) -> None:
        self.channel, self.event = channel, event

    def target(self) -> str:
        return self.channel

    def payload(self, change: Change, observer: type[Observer]) -> dict[str, Any]:
        return {"event": self.event, "data": super().payload(change, observer)}


class Log(Action):
    """Write the change to the ``forge_suite.eventstore.observers`` logger."""

    kind = "log"

    def __init__(self, level: int = logging.INFO) -> None:
        self.level = level

    def target(self) -> str:
        return logging.getLevelName(self.level)


_OBSERVERS: list[type[Observer]] = []


class Observer:
    """Declare ``model``, ``on`` (create/update/delete), ``when`` and ``actions``."""

    name: ClassVar[str] = ""
    model: ClassVar[type[models.Model]]
    on: ClassVar[Sequence[str]] = ("create", "update", "delete")
    when: ClassVar[Condition | None] = None
    actions: ClassVar[Sequence[Action]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__
        unknown = set(cls.on) - {"create", "update", "delete"}
        if unknown:
            raise ValueError(f"{cls.__name__}.on has unknown operations: {sorted(unknown)}")
        if getattr(cls, "model", None) is not None:
            _OBSERVERS.append(cls)
            _connect(cls.model)

    @classmethod
    def observe(cls, change: Change) -> list[int]:
        """Queue the actions if this observer's operation and condition match."""
        if change.operation not in cls.on:
            return []
        condition = cls.__dict__.get("when") or getattr(cls, "when", None)
        if condition is not None and not condition(change):
            return []
        event_id = uuid.uuid4()
        items = [
            OutboxItem(
                action.kind,
                action.target(),
                event_id,
                f"{change.model}.{change.operation}",
                action.payload(change, cls),
            )
            for action in cls.actions
        ]
        return enqueue(items) if items else []


class silenced:
    """Context manager: observers do nothing inside (used while replaying projections)."""

    def __enter__(self) -> None:
        self._token = _silenced.set(True)

    def __exit__(self, *exc: object) -> None:
        _silenced.reset(self._token)


def _state(instance: models.Model) -> dict[str, Any]:
    deferred = instance.get_deferred_fields()
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in deferred
    }


def _on_init(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if _silenced.get():
        return
    setattr(instance, _INITIAL, _state(instance) if instance.pk is not None else None)


def _notify(sender: type[models.Model], change: Change) -> None:
    if _silenced.get():
        return
    for observer in _OBSERVERS:
        if issubclass(sender, observer.model):
            observer.observe(change)


def _on_save(sender: type[models.Model], instance: models.Model, created: bool, **kw: Any) -> None:
    if _silenced.get():
        return
    new = _state(instance)
    old = None if created else getattr(instance, _INITIAL, None)
    if old is not None:
        old = {**new, **old}  # fields not loaded initially count as unchanged
    _notify(
        sender, Change(sender._meta.label, instance.pk, "create" if created else "update", old, new)
    )
    setattr(instance, _INITIAL, new)


def _on_delete(sender: type[models.Model], instance: models.Model, **kw: Any) -> None:
    if _silenced.get():
        return
    _notify(sender, Change(sender._meta.label, instance.pk, "delete", _state(instance), None))


def _connect(model: type[models.Model]) -> None:
    uid = f"forge_eventstore.observer.{model._meta.label_lower}"
    post_init.connect(_on_init, sender=model, dispatch_uid=uid + ".init")
    post_save.connect(_on_save, sender=model, dispatch_uid=uid + ".save")
    post_delete.connect(_on_delete, sender=model, dispatch_uid=uid + ".delete")


def _deliver_broadcast(message: Any) -> None:
    from forge_suite.realtime import broadcast

    broadcast(message.payload["event"], message.payload["data"]).to_channel(message.target)


def _deliver_log(message: Any) -> None:
    level = logging.getLevelName(message.target) if message.target else logging.INFO
    logger.log(
        level if isinstance(level, int) else logging.INFO,
        "%s %s %s",
        message.event_type,
        message.payload.get("pk"),
        message.payload.get("changes"),
        extra={"event_id": str(message.event_id)},
    )


register_action("broadcast", _deliver_broadcast)
register_action("log", _deliver_log)
