"""The Pusher protocol (version 7) WebSocket consumer: ``/app/<key>``."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from forge_suite.realtime.cache import cache_miss_frame, recall
from forge_suite.realtime.conf import app_settings
from forge_suite.realtime.exceptions import InvalidChannelName, ProtocolError, UnknownApp
from forge_suite.realtime.hub import Hub, get_hub
from forge_suite.realtime.registry import (
    RealtimeApp,
    channel_type,
    get_app,
    is_cache,
    is_encrypted,
    validate_channel_name,
)
from forge_suite.realtime.signing import verify_channel_auth, verify_user_auth
from forge_suite.realtime.throttle import ClientEventLimiter
from forge_suite.realtime.transport import event_frame, publish

__all__ = ["PusherConsumer"]

logger = logging.getLogger("forge_suite.realtime")

SUPPORTED_PROTOCOLS = range(5, 8)
MAX_USER_INFO = 1024
MAX_USER_ID = 128


# channels ships no type hints, so its consumer base is Any to mypy (strict mypy reports
# subclassing Any; the project's non-strict run does not, hence unused-ignore too).
class PusherConsumer(AsyncWebsocketConsumer):  # type: ignore[misc,unused-ignore]
    """One client connection speaking the Pusher protocol.

    Broadcasts reach it through the process :class:`~forge_suite.realtime.hub.Hub`; the
    consumer has no channel-layer channel of its own.
    """

    # An alias that is never configured: sockets do not get a per-socket layer channel.
    channel_layer_alias = "__forge_realtime_no_per_socket_layer__"

    app: RealtimeApp
    hub: Hub
    socket_id: str = ""

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, a thread hop per
        # frame. This consumer never touches the database (subscriptions are checked by
        # signature), so frames are handled on the event loop directly.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # Channels' own handler also closes stale database connections (a thread hop per
        # socket, a quarter of the server's CPU in a storm of closes); no groups either.
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def connect(self) -> None:
        self.subscriptions: set[str] = set()
        self.presence: dict[str, str] = {}
        self.presence_info: dict[str, str] = {}
        self.presence_version: dict[str, int] = {}
        self.user_id: str | None = None
        self.last_seen = time.monotonic()
        self.pinged_at: float | None = None
        self.closing = False
        self.admitted = False
        await self.accept()
        key = self.scope.get("url_route", {}).get("kwargs", {}).get("app_key", "")
        try:
            self.app = get_app(key=key)
        except UnknownApp:
            await self.fail(4001, f"App key {key} not in this cluster", close=True)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        protocol = query.get("protocol", [None])[0]
        if protocol is not None:
            if not protocol.isdigit():
                await self.fail(4006, "Invalid version string format", close=True)
                return
            if int(protocol) not in SUPPORTED_PROTOCOLS:
                await self.fail(4007, f"Unsupported protocol version {protocol}", close=True)
                return
        self.hub = await get_hub()
        capacity = app_settings.MAX_CONNECTIONS
        if capacity is not None and len(self.hub.connections) >= capacity:
            await self.fail(4100, "Over capacity", close=True)
            return
        limit = self.app.max_connections
        if limit is not None and not await self.hub.book.admit(self.app.id, limit):
            await self.fail(4004, "Application is over connection quota", close=True)
            return
        self.admitted = limit is not None
        self.socket_id = self.hub.new_socket_id()
        self.limiter = ClientEventLimiter(self.app.id, self.socket_id, self.app.client_event_rate)
        self.hub.add_connection(self)
        data = {"socket_id": self.socket_id, "activity_timeout": self.app.activity_timeout}
        await self.send_frame(event_frame("pusher:connection_established", None, json.dumps(data)))

    async def disconnect(self, code: int) -> None:
        if not self.socket_id:
            return
        self.closing = True
        self.hub.remove_connection(self)
        if self.admitted and self.app.max_connections is not None:
            try:
                await self.hub.book.release(self.app.id, self.app.max_connections)
            except Exception:  # already logged per batch; the heartbeat rewrites the count
                logger.debug("forge_realtime: releasing %s failed", self.socket_id)
        channels = list(self.subscriptions)
        self.subscriptions.clear()
        leaves = [self.hub.book.leave(self, c, self.presence.pop(c, None)) for c in channels]
        results: list[Any] = []
        if len(leaves) == 1:  # most sockets: no task for a gather of one
            try:
                await leaves[0]
            except Exception as exc:
                results = [exc]
        else:
            results = await asyncio.gather(*leaves, return_exceptions=True)
        if any(isinstance(r, Exception) for r in results):
            # Already logged once per batch; presence then expires by TTL.
            logger.debug("forge_realtime: %s left with errors", self.socket_id)

    # -- sending -----------------------------------------------------------------------------
    async def send_frame(self, frame: str) -> None:
        if self.closing:
            return
        await self.send(text_data=frame)

    async def fail(self, code: int | None, message: str, *, close: bool = False) -> None:
        """Send ``pusher:error``; with ``close`` also close the socket with ``code``."""
        await self.send_frame(
            event_frame("pusher:error", None, json.dumps({"code": code, "message": message}))
        )
        if close:
            self.closing = True
            await self.close(code=code or 4200)

    # -- receiving ---------------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.socket_id or self.closing:
            return
        self.last_seen = time.monotonic()
        self.pinged_at = None
        self.hub.metrics.record_ws_message(self.app.id, "in")
        try:
            await self._handle(text_data, bytes_data)
        except ProtocolError as exc:
            await self.fail(exc.code, exc.message, close=exc.close)

    async def _handle(self, text_data: str | None, bytes_data: bytes | None) -> None:
        if text_data is None:
            raise ProtocolError("Binary frames are not part of the protocol; send JSON text")
        size = len(text_data.encode())
        if size > self.app.max_message_size:
            raise ProtocolError(
                f"Message of {size} bytes exceeds the maximum of {self.app.max_message_size}",
                4200,
            )
        try:
            message = json.loads(text_data)
        except ValueError:
            raise ProtocolError("Invalid message format: not JSON") from None
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            raise ProtocolError("Invalid message format: expected an object with an event")
        event: str = message["event"]
        data = message.get("data")
        if event.startswith("client-"):
            await self._client_event(event, message.get("channel"), data)
            return
        handler = {
            "pusher:ping": self._ping,
            "pusher:pong": self._pong,
            "pusher:subscribe": self._subscribe,
            "pusher:unsubscribe": self._unsubscribe,
            "pusher:signin": self._signin,
        }.get(event)
        if handler is None:
            raise ProtocolError(f"Unknown event {event[:64]!r}")
        await handler(_payload(data))

    async def _ping(self, data: dict[str, Any]) -> None:
        await self.send_frame('{"event":"pusher:pong","data":"{}"}')

    async def _pong(self, data: dict[str, Any]) -> None:
        return None

    # -- subscriptions -----------------------------------------------------------------------
    async def _subscription_error(self, channel: str, message: str, status: int = 401) -> None:
        payload = {"type": "AuthError", "error": message, "status": status}
        await self.send_frame(
            event_frame("pusher:subscription_error", channel, json.dumps(payload))
        )
        await self.fail(4009, f"Subscription to {channel} refused: {message}")

    async def _subscribe(self, data: dict[str, Any]) -> None:
        channel = data.get("channel")
        if isinstance(channel, str) and channel.startswith("#server-to-user-"):
            # pusher-js subscribes to its user channel after pusher:signin; the server already
            # joined it on sign-in and refuses anyone else's.
            if self.user_id is None or channel != f"#server-to-user-{self.user_id}":
                await self._subscription_error(channel, "Sign in as this user first", 403)
                return
            await self.send_frame(
                event_frame("pusher_internal:subscription_succeeded", channel, "{}")
            )
            return
        try:
            validate_channel_name(channel)
        except InvalidChannelName as exc:
            raise ProtocolError(str(exc)) from None
        assert isinstance(channel, str)  # for mypy; validated above
        if channel in self.subscriptions:
            # pusher-js resubscribes after reconnects; answering again keeps it consistent.
            await self.send_frame(
                event_frame("pusher_internal:subscription_succeeded", channel, "{}")
            )
            return
        most = self.app.max_channels_per_connection
        if most is not None and sum(not c.startswith("#") for c in self.subscriptions) >= most:
            await self._subscription_error(channel, f"At most {most} channels per connection", 403)
            return
        kind = channel_type(channel)
        if kind == "private":
            if not verify_channel_auth(
                self.app.key, self.app.secret, self.socket_id, channel, data.get("auth")
            ):
                await self._subscription_error(channel, "Invalid signature")
                return
            await self._join(channel)
            await self.send_frame(
                event_frame("pusher_internal:subscription_succeeded", channel, "{}")
            )
        elif kind == "presence":
            if not await self._join_presence(channel, data):
                return
        else:
            await self._join(channel)
            await self.send_frame(
                event_frame("pusher_internal:subscription_succeeded", channel, "{}")
            )
        if is_cache(channel):
            await self._send_cached(channel)

    async def _send_cached(self, channel: str) -> None:
        """A cache channel's last event right after subscription_succeeded, or cache_miss."""
        cached = await recall(self.app.id, channel)
        if cached is not None:
            await self.send_frame(cached[0])
            return
        await self.send_frame(cache_miss_frame(channel))
        await self.hub.cache_missed(self.app.id, channel)

    async def _join(self, channel: str) -> None:
        self.subscriptions.add(channel)
        await self.hub.book.subscribe(self, channel)
        kind = "encrypted" if is_encrypted(channel) else channel_type(channel)
        self.hub.metrics.record_subscription(self.app.id, kind)

    async def _join_presence(self, channel: str, data: dict[str, Any]) -> bool:
        channel_data = data.get("channel_data")
        if not isinstance(channel_data, str) or not verify_channel_auth(
            self.app.key,
            self.app.secret,
            self.socket_id,
            channel,
            data.get("auth"),
            channel_data,
        ):
            await self._subscription_error(channel, "Invalid signature")
            return False
        try:
            member = json.loads(channel_data)
            user_id = member["user_id"]
        except (ValueError, TypeError, KeyError):
            await self._subscription_error(channel, "channel_data must hold a user_id", 400)
            return False
        user_id = str(user_id)
        user_info = json.dumps(member.get("user_info"), separators=(",", ":"))
        if len(user_id) > MAX_USER_ID or len(user_info) > MAX_USER_INFO:
            await self._subscription_error(channel, "user_id or user_info too large", 400)
            return False
        status, payload, version = await self.hub.book.join_presence(
            self, channel, user_id, user_info, self.app.max_presence_members
        )
        if status == "full":
            await self._subscription_error(channel, "Presence channel is full", 403)
            return False
        self.presence[channel] = user_id
        self.presence_info[channel] = user_info
        self.presence_version[channel] = version
        if self.closing:  # closed while joining: disconnect() did not see this channel
            await self.hub.book.leaves.submit((self.app.id, channel, user_id, self.socket_id))
            return False
        await self._join(channel)
        await self.send_frame(
            event_frame("pusher_internal:subscription_succeeded", channel, payload)
        )
        return True

    async def _unsubscribe(self, data: dict[str, Any]) -> None:
        channel = data.get("channel")
        if isinstance(channel, str) and channel in self.subscriptions:
            self.subscriptions.discard(channel)
            await self.hub.book.leave(self, channel, self.presence.pop(channel, None))

    # -- user sign-in --------------------------------------------------------------------------
    async def _signin(self, data: dict[str, Any]) -> None:
        user_data = data.get("user_data")
        if not isinstance(user_data, str) or not verify_user_auth(
            self.app.key, self.app.secret, self.socket_id, user_data, data.get("auth")
        ):
            raise ProtocolError("Invalid user authentication signature", 4009)
        try:
            user_id = str(json.loads(user_data)["id"])
        except (ValueError, TypeError, KeyError):
            raise ProtocolError("user_data must be a JSON object with an id", 4009) from None
        if self.user_id is not None:
            self.hub.unsubscribe(self, f"#server-to-user-{self.user_id}")
            self.subscriptions.discard(f"#server-to-user-{self.user_id}")
        self.user_id = user_id
        user_channel = f"#server-to-user-{user_id}"
        self.subscriptions.add(user_channel)
        self.hub.subscribe(self, user_channel)
        payload = json.dumps({"user_data": user_data})
        await self.send_frame(event_frame("pusher:signin_success", None, payload))

    # -- client events -------------------------------------------------------------------------
    async def _client_event(self, event: str, channel: Any, data: Any) -> None:
        if not self.app.client_events:
            raise ProtocolError("The app does not have client messaging enabled", 4301)
        if not isinstance(channel, str) or channel_type(channel) not in ("private", "presence"):
            raise ProtocolError(
                "Client events are only allowed on private and presence channels", 4009
            )
        if is_encrypted(channel):
            raise ProtocolError("Client events are not allowed on encrypted channels", 4009)
        if channel not in self.subscriptions:
            raise ProtocolError(f"Not subscribed to {channel}; subscribe before triggering", 4009)
        if not await self.limiter.allow():
            raise ProtocolError(
                f"Client event rate limit exceeded ({self.app.client_event_rate})", 4301
            )
        user_id = self.presence.get(channel)
        frame = event_frame(event, channel, data, user_id)
        await publish({"app": self.app.id, "items": [[channel, frame]], "except": self.socket_id})
        hook: dict[str, Any] = {"channel": channel, "event": event, "socket_id": self.socket_id}
        hook["data"] = data if isinstance(data, str) else json.dumps(data)
        if user_id is not None:
            hook["user_id"] = user_id
        self.hub.webhooks.add(self.app.id, "client_event", **hook)


def _payload(data: Any) -> dict[str, Any]:
    """``data`` of a protocol message: an object, or a JSON string holding one."""
    if isinstance(data, str):
        try:
            data = json.loads(data) if data else {}
        except ValueError:
            raise ProtocolError("Invalid message format: data is not JSON") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProtocolError("Invalid message format: data must be an object")
    return data
