"""State shared by every server process: presence members and subscription counts.

:class:`RedisState` keeps presence per user in Redis: a hash of members per channel and, per
member, a sorted set of that user's connections scored by expiry time. Each process refreshes
the expiry of its own connections (heartbeat) so connections of a crashed process expire and
their members are swept. Joins and leaves are Lua scripts, so "first connection" and "last
connection" are decided atomically across processes. :class:`MemoryState` is the embedded
default for a single process.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, Protocol

__all__ = ["MemoryState", "PresenceEntry", "RedisState", "State"]

#: (app id, channel, user id, socket id)
PresenceEntry = tuple[str, str, str, str]


class State(Protocol):
    async def presence_join(
        self, app: str, channel: str, user_id: str, socket_id: str, user_info: str
    ) -> bool: ...
    async def presence_leave(
        self, app: str, channel: str, user_id: str, socket_id: str
    ) -> bool: ...
    async def presence_members(
        self, app: str, channel: str
    ) -> tuple[dict[str, str], list[str]]: ...
    async def presence_channels(self, app: str) -> dict[str, int]: ...
    async def heartbeat(
        self, entries: list[PresenceEntry], counts: dict[str, dict[str, int]]
    ) -> None: ...
    async def add_subscription(self, app: str, channel: str, delta: int) -> None: ...
    async def subscription_counts(self, app: str) -> dict[str, int]: ...
    async def close(self) -> None: ...


class MemoryState:
    """Presence and counts of this process only."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.members: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        self.conns: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def _prune(self, key: tuple[str, str, str]) -> dict[str, float]:
        now = time.time()
        conns = self.conns[key]
        for sid in [s for s, exp in conns.items() if exp <= now]:
            del conns[sid]
        return conns

    async def presence_join(
        self, app: str, channel: str, user_id: str, socket_id: str, user_info: str
    ) -> bool:
        conns = self._prune((app, channel, user_id))
        first = not conns
        conns[socket_id] = time.time() + self.ttl
        self.members[(app, channel)][user_id] = user_info
        return first

    async def presence_leave(self, app: str, channel: str, user_id: str, socket_id: str) -> bool:
        conns = self._prune((app, channel, user_id))
        conns.pop(socket_id, None)
        if conns:
            return False
        self.conns.pop((app, channel, user_id), None)
        return self.members[(app, channel)].pop(user_id, None) is not None

    async def presence_members(self, app: str, channel: str) -> tuple[dict[str, str], list[str]]:
        members = self.members[(app, channel)]
        removed = [u for u in list(members) if not self._prune((app, channel, u))]
        for user_id in removed:
            members.pop(user_id, None)
        return dict(members), removed

    async def presence_channels(self, app: str) -> dict[str, int]:
        return {ch: len(m) for (a, ch), m in self.members.items() if a == app and m}

    async def heartbeat(
        self, entries: list[PresenceEntry], counts: dict[str, dict[str, int]]
    ) -> None:
        expires = time.time() + self.ttl
        for app, channel, user_id, socket_id in entries:
            self.conns[(app, channel, user_id)][socket_id] = expires

    async def add_subscription(self, app: str, channel: str, delta: int) -> None:
        counts = self.counts[app]
        counts[channel] += delta
        if counts[channel] <= 0:
            del counts[channel]

    async def subscription_counts(self, app: str) -> dict[str, int]:
        return dict(self.counts[app])

    async def close(self) -> None:
        return None


_JOIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local before = redis.call('ZCARD', KEYS[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('HSET', KEYS[1], ARGV[4], ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[7])
if before == 0 then return 1 end
return 0
"""

_LEAVE = """
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
return redis.call('HDEL', KEYS[1], ARGV[3])
"""

_SWEEP = """
local removed = {}
for _, user in ipairs(redis.call('HKEYS', KEYS[1])) do
  local key = ARGV[2] .. user
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
  if redis.call('ZCARD', key) == 0 then
    redis.call('HDEL', KEYS[1], user)
    table.insert(removed, user)
  end
end
return {removed, redis.call('HGETALL', KEYS[1])}
"""


class RedisState:
    """Presence and counts in Redis, shared by every server process."""

    def __init__(self, url: str, prefix: str, ttl: float, process_id: str) -> None:
        from forge_suite.core.redis import get_async_redis

        self.redis = get_async_redis(url)
        self.prefix = prefix
        self.ttl = ttl
        self.ttl_s = max(1, int(ttl + 0.999))
        self.process_id = process_id
        self._join = self.redis.register_script(_JOIN)
        self._leave = self.redis.register_script(_LEAVE)
        self._sweep = self.redis.register_script(_SWEEP)

    def _members_key(self, app: str, channel: str) -> str:
        return f"{self.prefix}:{app}:presence:{channel}"

    def _user_key(self, app: str, channel: str, user_id: str) -> str:
        return f"{self._members_key(app, channel)}:u:{user_id}"

    def _channels_key(self, app: str) -> str:
        return f"{self.prefix}:{app}:presence-channels"

    def _subs_key(self, app: str, process_id: str) -> str:
        return f"{self.prefix}:{app}:subs:{process_id}"

    @property
    def _procs_key(self) -> str:
        return f"{self.prefix}:procs"

    async def presence_join(
        self, app: str, channel: str, user_id: str, socket_id: str, user_info: str
    ) -> bool:
        now = time.time()
        keys = [
            self._members_key(app, channel),
            self._user_key(app, channel, user_id),
            self._channels_key(app),
        ]
        args = [now, now + self.ttl, socket_id, user_id, user_info, self.ttl_s, channel]
        return bool(await self._join(keys=keys, args=args))

    async def presence_leave(self, app: str, channel: str, user_id: str, socket_id: str) -> bool:
        keys = [self._members_key(app, channel), self._user_key(app, channel, user_id)]
        return bool(await self._leave(keys=keys, args=[time.time(), socket_id, user_id]))

    async def presence_members(self, app: str, channel: str) -> tuple[dict[str, str], list[str]]:
        members_key = self._members_key(app, channel)
        removed, flat = await self._sweep(
            keys=[members_key], args=[time.time(), f"{members_key}:u:"]
        )
        decoded = [v.decode() if isinstance(v, bytes) else str(v) for v in flat]
        members = dict(zip(decoded[::2], decoded[1::2], strict=True))
        return members, [u.decode() if isinstance(u, bytes) else str(u) for u in removed]

    async def presence_channels(self, app: str) -> dict[str, int]:
        key = self._channels_key(app)
        await self.redis.zremrangebyscore(key, "-inf", time.time())
        names = [n.decode() for n in await self.redis.zrange(key, 0, -1)]
        result: dict[str, int] = {}
        for name in names:
            count = await self.redis.hlen(self._members_key(app, name))
            if count:
                result[name] = int(count)
        return result

    async def heartbeat(
        self, entries: list[PresenceEntry], counts: dict[str, dict[str, int]]
    ) -> None:
        now = time.time()
        expires = now + self.ttl
        pipe = self.redis.pipeline(transaction=False)
        for app, channel, user_id, socket_id in entries:
            user_key = self._user_key(app, channel, user_id)
            pipe.zadd(user_key, {socket_id: expires})
            pipe.expire(user_key, self.ttl_s)
            pipe.expire(self._members_key(app, channel), self.ttl_s)
            pipe.zadd(self._channels_key(app), {channel: expires})
        for app, per_channel in counts.items():
            key = self._subs_key(app, self.process_id)
            pipe.delete(key)
            if per_channel:
                pipe.hset(key, mapping=per_channel)
                pipe.expire(key, self.ttl_s)
        pipe.zadd(self._procs_key, {self.process_id: expires})
        pipe.zremrangebyscore(self._procs_key, "-inf", now)
        await pipe.execute()

    async def add_subscription(self, app: str, channel: str, delta: int) -> None:
        key = self._subs_key(app, self.process_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(key, channel, delta)
        pipe.expire(key, self.ttl_s)
        pipe.zadd(self._procs_key, {self.process_id: time.time() + self.ttl})
        value, _, _ = await pipe.execute()
        if int(value) <= 0:
            await self.redis.hdel(key, channel)

    async def subscription_counts(self, app: str) -> dict[str, int]:
        procs = await self.redis.zrangebyscore(self._procs_key, time.time(), "+inf")
        totals: dict[str, int] = defaultdict(int)
        for proc in procs:
            values = await self.redis.hgetall(self._subs_key(app, proc.decode()))
            for channel, count in values.items():
                if int(count) > 0:
                    totals[channel.decode()] += int(count)
        return dict(totals)

    async def close(self) -> None:
        await self.redis.aclose()


def build_state(process_id: str) -> Any:
    """:class:`RedisState` when a Redis URL is configured, else :class:`MemoryState`."""
    from forge_suite.core.conf import forge_settings
    from forge_suite.realtime.conf import app_settings

    url = app_settings.REDIS_URL or forge_settings.REDIS_URL
    ttl = float(app_settings.PRESENCE_TTL)
    if url:
        return RedisState(str(url), str(app_settings.KEY_PREFIX), ttl, process_id)
    return MemoryState(ttl)
