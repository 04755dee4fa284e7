"""Frames and the channel-layer message every server process's hub receives.

Kept apart from the hub and the consumer so that both (and broadcasting, the views and the
bookkeeping) import it without importing each other.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

from channels.layers import get_channel_layer

from forge_suite.realtime.conf import app_settings
from forge_suite.realtime.exceptions import LayerUnavailable

__all__ = ["MESSAGE_TYPE", "Connection", "event_frame", "layer", "publish"]

MESSAGE_TYPE = "forge_realtime.dispatch"


class Connection(Protocol):
    """What the hub needs of a socket (implemented by ``PusherConsumer``)."""

    socket_id: str
    app: Any
    closing: bool
    last_seen: float
    pinged_at: float | None
    presence: dict[str, str]
    presence_info: dict[str, str]
    presence_version: dict[str, int]

    async def send_frame(self, frame: str) -> None: ...
    async def fail(self, code: int | None, message: str, *, close: bool = False) -> None: ...
    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None: ...


def layer() -> Any:
    """The channel layer named by ``FORGE["REALTIME"]["CHANNEL_LAYER"]``."""
    found = get_channel_layer(app_settings.CHANNEL_LAYER)
    if found is None:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f'CHANNEL_LAYERS has no alias {app_settings.CHANNEL_LAYER!r} (FORGE["REALTIME"]'
            '["CHANNEL_LAYER"]); configure one, e.g. channels.layers.InMemoryChannelLayer.'
        )
    return found


async def publish(message: dict[str, Any]) -> None:
    """Send ``message`` to every server process's hub (one layer message per process).

    ``message["items"]`` lists ``[channel, frame]``, ``[channel, frame, except_socket_id]`` or
    ``[channel, frame, except_socket_id, version]`` (only to sockets whose presence member
    list is older than ``version``); ``message["except"]`` leaves one socket out of every item.
    Raises :class:`LayerUnavailable` when the layer does not take it within
    ``PUBLISH_TIMEOUT`` seconds.
    """
    timeout = float(app_settings.PUBLISH_TIMEOUT)
    try:
        async with asyncio.timeout(timeout):
            await layer().group_send(app_settings.GROUP, {"type": MESSAGE_TYPE, **message})
    except TimeoutError as exc:
        raise LayerUnavailable(
            f"The channel layer did not take the message within {timeout:g} s."
        ) from exc


def event_frame(event: str, channel: str | None, data: Any, user_id: str | None = None) -> str:
    """The JSON text of an event frame as clients receive it."""
    frame: dict[str, Any] = {"event": event}
    if channel is not None:
        frame["channel"] = channel
    frame["data"] = data
    if user_id is not None:
        frame["user_id"] = user_id
    return json.dumps(frame, separators=(",", ":"))
