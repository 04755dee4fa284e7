"""Broadcasting from anywhere: views, Celery jobs, the shell.

    broadcast("post.published", {"id": 1}).to_channel("blog.updates")
    broadcast("message", data).to_others(socket_id).to_channel("private-chat.1")
    broadcast("notice", data).to_users(["42"])
    await abroadcast("post.published", {"id": 1}).to_channel("blog.updates")

or with an event class, Laravel style::

    class OrderShipped(BroadcastEvent):
        def __init__(self, order): self.order = order
        def broadcast_on(self): return [f"private-orders.{self.order.pk}"]
        def broadcast_as(self): return "order.shipped"
        def broadcast_with(self): return {"id": self.order.pk}

    broadcast(OrderShipped(order)).send()

Messages travel through the channel layer, so every server process delivers them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from django.core.serializers.json import DjangoJSONEncoder

from forge_suite.core.tracing import span
from forge_suite.realtime.cache import remember
from forge_suite.realtime.exceptions import InvalidEvent
from forge_suite.realtime.registry import (
    RealtimeApp,
    default_app,
    get_app,
    is_encrypted,
    validate_channel_name,
)
from forge_suite.realtime.transport import event_frame, publish

__all__ = ["AsyncPendingBroadcast", "BroadcastEvent", "PendingBroadcast", "abroadcast", "broadcast"]

MAX_CHANNELS = 100


class BroadcastEvent:
    """Base class of events that know where and how they are broadcast."""

    def broadcast_on(self) -> list[str]:
        """Channel names the event goes to."""
        raise NotImplementedError(f"{type(self).__name__} must define broadcast_on()")

    def broadcast_as(self) -> str:
        """The event name clients listen for; defaults to the class name."""
        return type(self).__name__

    def broadcast_with(self) -> Any:
        """The payload; defaults to the instance's public attributes."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


def _encode(data: Any) -> str:
    if isinstance(data, str):
        return data
    try:
        return json.dumps(data, separators=(",", ":"), cls=DjangoJSONEncoder)
    except (TypeError, ValueError) as exc:
        raise InvalidEvent(f"Event data is not JSON serialisable: {exc}") from exc


class _Pending:
    def __init__(self, event: Any, data: Any = None, *, app: str | None = None) -> None:
        self.channels: list[str] = []
        if isinstance(event, BroadcastEvent):
            self.name = event.broadcast_as()
            data = event.broadcast_with()
            self.channels = list(event.broadcast_on())
        else:
            self.name = event
        if not isinstance(self.name, str) or not self.name:
            raise InvalidEvent("An event name must be a non-empty string.")
        if len(self.name) > 200:
            raise InvalidEvent("An event name may have at most 200 characters.")
        self.data = _encode({} if data is None else data)
        self.app: RealtimeApp = get_app(id=app) if app else default_app()
        self.excluded: str | None = None

    def _message(self, channels: Iterable[str]) -> dict[str, Any]:
        names = [validate_channel_name(c) for c in channels]
        if not names:
            raise InvalidEvent("Broadcast to no channel: name at least one.")
        if len(names) > MAX_CHANNELS:
            raise InvalidEvent(f"At most {MAX_CHANNELS} channels per broadcast, got {len(names)}.")
        items = [[c, event_frame(self.name, c, self._data_for(c))] for c in names]
        return {"app": self.app.id, "items": items, "except": self.excluded, "event": self.name}

    def _data_for(self, channel: str) -> str:
        """The data as sent on ``channel``: encrypted with the app's key on encrypted ones."""
        if not is_encrypted(channel):
            return self.data
        if not self.app.encryption_master_key:
            raise InvalidEvent(
                f"{channel} is encrypted but app {self.app.id} has no encryption_master_key."
            )
        from forge_suite.realtime.encryption import encrypt

        return encrypt(channel, self.data, self.app.encryption_master_key)

    def _user_message(self, user_ids: Iterable[Any]) -> dict[str, Any]:
        ids = [str(u) for u in user_ids]
        if not ids:
            raise InvalidEvent("Broadcast to no user: name at least one user id.")
        items = [
            [f"#server-to-user-{u}", event_frame(self.name, f"#server-to-user-{u}", self.data)]
            for u in ids
        ]
        return {"app": self.app.id, "items": items, "except": self.excluded, "event": self.name}


async def _send(message: dict[str, Any]) -> None:
    """Keep the event of cache channels, then hand it to every server process (in a span
    ``realtime broadcast`` when OpenTelemetry tracing is on)."""
    attributes = {
        "realtime.app": message["app"],
        "realtime.event": message.pop("event", ""),  # for the span only, not sent
        "realtime.channels": [item[0] for item in message["items"]][:100],
    }
    with span("realtime broadcast", attributes):
        await remember(message["app"], message["items"])
        await publish(message)


class PendingBroadcast(_Pending):
    """A broadcast being built; ``to_channel``/``to_users``/``send`` deliver it."""

    def to_others(self, socket_id: str | None) -> PendingBroadcast:
        """Leave out the connection ``socket_id`` (the sender; see the X-Socket-ID header)."""
        self.excluded = socket_id or None
        return self

    def to_channel(self, *channels: str) -> None:
        async_to_sync(_send)(self._message(channels))

    def to_users(self, user_ids: Iterable[Any]) -> None:
        """Deliver to every connection signed in (``pusher:signin``) as one of ``user_ids``."""
        async_to_sync(_send)(self._user_message(user_ids))

    def send(self) -> None:
        """Deliver an event object to its ``broadcast_on()`` channels."""
        self.to_channel(*self.channels)


class AsyncPendingBroadcast(_Pending):
    """The async twin of :class:`PendingBroadcast`."""

    def to_others(self, socket_id: str | None) -> AsyncPendingBroadcast:
        self.excluded = socket_id or None
        return self

    async def to_channel(self, *channels: str) -> None:
        await _send(self._message(channels))

    async def to_users(self, user_ids: Iterable[Any]) -> None:
        await _send(self._user_message(user_ids))

    async def send(self) -> None:
        await self.to_channel(*self.channels)


def broadcast(
    event: str | BroadcastEvent, data: Any = None, *, app: str | None = None
) -> PendingBroadcast:
    """Start a broadcast of ``event`` (a name, or a :class:`BroadcastEvent`) with ``data``."""
    return PendingBroadcast(event, data, app=app)


def abroadcast(
    event: str | BroadcastEvent, data: Any = None, *, app: str | None = None
) -> AsyncPendingBroadcast:
    """Async variant of :func:`broadcast`: ``await abroadcast(...).to_channel(...)``."""
    return AsyncPendingBroadcast(event, data, app=app)
