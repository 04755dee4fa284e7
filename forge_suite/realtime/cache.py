"""Cache channels: the last event of each ``cache-`` channel, sent to every new subscriber.

Stored in Redis (``{KEY_PREFIX}:{app}:cache:{channel}``, expiring after ``CACHE_TTL``) when
realtime has a Redis URL, so every server process serves it; otherwise in this process's
memory (the embedded default). Only events from the server (``broadcast()`` and the HTTP API)
are kept, never client events, as on Pusher.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from forge_suite.realtime.conf import app_settings
from forge_suite.realtime.registry import is_cache

__all__ = ["recall", "remember"]

_memory: dict[tuple[str, str], tuple[str, float]] = {}
_clients: dict[asyncio.AbstractEventLoop, Any] = {}


def _redis_url() -> str | None:
    from forge_suite.core.conf import forge_settings

    url = app_settings.REDIS_URL or forge_settings.REDIS_URL
    return str(url) if url else None


def _client(url: str) -> Any:
    """One async client per event loop (they are bound to the loop that first uses them)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        for old in [lp for lp in _clients if lp.is_closed()]:
            del _clients[old]
        from forge_suite.core.redis import get_async_redis

        client = _clients[loop] = get_async_redis(url)
    return client


def _key(app_id: str, channel: str) -> str:
    return f"{app_settings.KEY_PREFIX}:{app_id}:cache:{channel}"


async def remember(app_id: str, items: list[list[Any]]) -> None:
    """Keep the frame of each item ``[channel, frame, ...]`` that goes to a cache channel."""
    cached = [(item[0], item[1]) for item in items if is_cache(item[0])]
    if not cached:
        return
    ttl = int(app_settings.CACHE_TTL)
    url = _redis_url()
    if url is None:
        expires = time.monotonic() + ttl
        for channel, frame in cached:
            _memory[(app_id, channel)] = (frame, expires)
        return
    pipe = _client(url).pipeline(transaction=False)
    for channel, frame in cached:
        pipe.set(_key(app_id, channel), frame, ex=ttl)
    await pipe.execute()


async def recall(app_id: str, channel: str) -> tuple[str, int] | None:
    """The cached frame of ``channel`` and its seconds to live, or None."""
    url = _redis_url()
    if url is None:
        found = _memory.get((app_id, channel))
        if found is None:
            return None
        frame, expires = found
        left = expires - time.monotonic()
        if left <= 0:
            _memory.pop((app_id, channel), None)
            return None
        return frame, int(left + 0.999)
    pipe = _client(url).pipeline(transaction=False)
    pipe.get(_key(app_id, channel))
    pipe.ttl(_key(app_id, channel))
    frame, ttl = await pipe.execute()
    if frame is None:
        return None
    return (frame.decode() if isinstance(frame, bytes) else str(frame)), max(int(ttl), 0)


def cache_miss_frame(channel: str) -> str:
    return json.dumps({"event": "pusher:cache_miss", "channel": channel}, separators=(",", ":"))


def forget_all() -> None:
    """Drop the in-memory cache (tests)."""
    _memory.clear()
