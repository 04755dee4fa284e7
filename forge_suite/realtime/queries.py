"""What the Pusher HTTP API and the REST API answer about channels (one implementation).

Both read the shared state: Redis when configured (every server process), otherwise the state
of this process. ``info`` is Pusher's comma-separated attribute list, already split.
"""

from __future__ import annotations

import json
from typing import Any

from forge_suite.realtime.cache import recall
from forge_suite.realtime.registry import channel_type, is_cache
from forge_suite.realtime.state import State

__all__ = [
    "CHANNELS_INFO",
    "CHANNEL_INFO",
    "ChannelQueryError",
    "channel_info",
    "channel_users",
    "channels_info",
]

#: The attributes ``info`` may ask for (Pusher's HTTP API ignores others).
CHANNEL_INFO = ("subscription_count", "user_count", "cache")
CHANNELS_INFO = ("user_count",)


class ChannelQueryError(ValueError):
    """The query cannot be answered as asked (the HTTP API and the REST API answer 400)."""

    def __init__(self, message: str, field: str = "info") -> None:
        super().__init__(message)
        #: the query parameter at fault
        self.field = field


async def channels_info(
    state: State, app_id: str, prefix: str = "", info: set[str] | frozenset[str] = frozenset()
) -> dict[str, dict[str, int]]:
    """Occupied channels of ``app_id`` whose name starts with ``prefix``, by name."""
    if "user_count" in info and not prefix.startswith("presence-"):
        raise ChannelQueryError("info=user_count needs filter_by_prefix=presence-")
    counts = await state.subscription_counts(app_id)
    users = await state.presence_channels(app_id) if "user_count" in info else {}
    result: dict[str, dict[str, int]] = {}
    for name in sorted(counts):
        if name.startswith(prefix):
            result[name] = {"user_count": users.get(name, 0)} if "user_count" in info else {}
    return result


async def channel_info(
    state: State, app_id: str, channel: str, info: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any]:
    """``occupied`` and the attributes asked for of one channel."""
    if "user_count" in info and channel_type(channel) != "presence":
        raise ChannelQueryError("user_count is only available for presence channels.")
    count = (await state.subscription_counts(app_id)).get(channel, 0)
    result: dict[str, Any] = {"occupied": count > 0}
    if "subscription_count" in info:
        result["subscription_count"] = count
    if "user_count" in info:
        members, _ = await state.presence_members(app_id, channel)
        result["user_count"] = len(members)
    if "cache" in info:
        cached = await recall(app_id, channel) if is_cache(channel) else None
        result["cache"] = (
            {"data": json.loads(cached[0]).get("data"), "ttl": cached[1]} if cached else None
        )
    return result


async def channel_users(state: State, app_id: str, channel: str) -> list[str]:
    """The user ids of a presence channel's members."""
    if channel_type(channel) != "presence":
        raise ChannelQueryError("Users are only listed for presence channels.", "channel")
    members, _ = await state.presence_members(app_id, channel)
    return list(members)
