"""Test helpers for projects using forge_suite.realtime (like ``channels.testing``).

A Pusher-protocol client over channels' in-process ``WebsocketCommunicator``::

    from forge_suite.realtime.testing import PusherCommunicator

    async def test_orders_channel():
        client = PusherCommunicator(application, app_key="my-key", app_secret="my-secret")
        await client.open()
        assert (await client.subscribe("private-orders.1"))["event"] == (
            "pusher_internal:subscription_succeeded"
        )
        ...
        await client.close()

and a recorder of what :func:`~forge_suite.realtime.broadcast` sends, without any channel
layer or WebSocket::

    from forge_suite.realtime.testing import record_broadcasts

    def test_publishing_a_post_broadcasts_it():
        with record_broadcasts() as sent:
            publish_post(post)
        assert sent.events(channel="blog.updates") == [
            {"event": "post.published", "channel": "blog.updates", "data": {"id": post.pk}}
        ]
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from forge_suite.realtime.signing import channel_auth, user_auth

__all__ = ["PusherCommunicator", "RecordedBroadcasts", "record_broadcasts"]


def _decode(frame: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(frame)
    if isinstance(message.get("data"), str):
        with contextlib.suppress(ValueError):
            message["data"] = json.loads(message["data"])
    return message


class PusherCommunicator:
    """One Pusher-protocol client of an ASGI application, in process.

    ``application`` defaults to the app's own WebSocket routes. Frames are returned decoded,
    their ``data`` parsed from JSON when it is JSON. ``app_secret`` lets :meth:`subscribe`
    sign private and presence subscriptions like an auth endpoint would.
    """

    def __init__(
        self,
        application: Any = None,
        *,
        app_key: str,
        app_secret: str | None = None,
        query: str = "protocol=7&client=js&version=8.4.0",
    ) -> None:
        from channels.testing import WebsocketCommunicator

        if application is None:
            from channels.routing import URLRouter

            from forge_suite.realtime.routing import websocket_urlpatterns

            application = URLRouter(websocket_urlpatterns)
        self.key = app_key
        self.secret = app_secret
        self.comm = WebsocketCommunicator(application, f"/app/{app_key}?{query}")
        self.socket_id = ""

    async def open(self) -> dict[str, Any]:
        """Connect; returns the first frame (``pusher:connection_established`` or an error)."""
        connected, _ = await self.comm.connect()
        if not connected:
            raise AssertionError("the WebSocket handshake was refused")
        first = await self.recv()
        if first["event"] == "pusher:connection_established":
            self.socket_id = first["data"]["socket_id"]
        return first

    async def send(self, event: str, data: Any = None, **extra: Any) -> None:
        await self.comm.send_to(text_data=json.dumps({"event": event, "data": data, **extra}))

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        """The next frame, decoded."""
        return _decode(await self.comm.receive_from(timeout))

    async def subscribe(
        self, channel: str, *, user_id: str | None = None, user_info: Any = None, **data: Any
    ) -> dict[str, Any]:
        """Subscribe (signed with ``app_secret`` unless ``auth`` is given); the reply frame."""
        if "auth" not in data and self.secret and channel.startswith(("private-", "presence-")):
            channel_data = ""
            if channel.startswith("presence-"):
                channel_data = json.dumps({"user_id": user_id, "user_info": user_info})
                data["channel_data"] = channel_data
            data["auth"] = channel_auth(
                self.key, self.secret, self.socket_id, channel, channel_data
            )
        await self.send("pusher:subscribe", {"channel": channel, **data})
        return await self.recv()

    async def signin(self, user_id: str, user_info: Any = None) -> dict[str, Any]:
        """``pusher:signin`` as ``user_id`` (signed with ``app_secret``); the reply frame."""
        if not self.secret:
            raise ValueError("signin needs app_secret")
        user_data = json.dumps({"id": user_id, "user_info": user_info or {}})
        auth = user_auth(self.key, self.secret, self.socket_id, user_data)
        await self.send("pusher:signin", {"user_data": user_data, "auth": auth})
        return await self.recv()

    async def nothing(self, timeout: float = 0.3) -> bool:
        """True if no frame arrives within ``timeout``."""
        return bool(await self.comm.receive_nothing(timeout))

    async def closed(self, timeout: float = 5) -> int:
        """Wait for the server to close the socket; returns the close code."""
        output = await self.comm.receive_output(timeout)
        if output["type"] != "websocket.close":
            raise AssertionError(f"expected a close, got {output}")
        return int(output.get("code", 1000))

    async def close(self) -> None:
        await self.comm.disconnect()


@dataclass
class RecordedBroadcasts:
    """What was broadcast while :func:`record_broadcasts` was active."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    def events(self, channel: str | None = None, event: str | None = None) -> list[dict[str, Any]]:
        """Every event frame (decoded), optionally only of ``channel`` and/or ``event``."""
        found = []
        for message in self.messages:
            for item in message.get("items", ()):
                frame = _decode(item[1])
                if channel is not None and frame.get("channel") != channel:
                    continue
                if event is not None and frame.get("event") != event:
                    continue
                found.append(frame)
        return found

    def clear(self) -> None:
        self.messages.clear()


@contextlib.contextmanager
def record_broadcasts() -> Iterator[RecordedBroadcasts]:
    """Record :func:`broadcast`/:func:`abroadcast` instead of sending them to the layer."""
    recorded = RecordedBroadcasts()

    async def publish(message: dict[str, Any]) -> None:
        recorded.messages.append(message)

    with mock.patch("forge_suite.realtime.broadcasting.publish", publish):
        yield recorded
