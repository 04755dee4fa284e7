"""Presence and subscription counts in Redis, shared by every server process.

Keys (under ``KEY_PREFIX``):

- ``{app}:presence:{channel}`` hash user id -> user info (the members);
- ``{app}:presence:{channel}:u:{user}`` sorted set of that user's sockets scored by expiry,
  refreshed by the heartbeat of the process holding them, so members of a crashed process
  expire and are swept;
- ``{app}:presence-channels`` sorted set of presence channels scored by expiry;
- ``{app}:subs:{process}`` hash channel -> subscribers of one process, and
  ``{app}:subs-total`` hash channel -> subscribers of the cluster (atomic counters);
- ``procs`` sorted set of live processes scored by expiry.

Every batch is one Lua script call (or one pipeline of them): "first connection", "last
connection", "occupied" and "vacated" are decided atomically for the cluster.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from forge_suite.realtime.state import (
    CountChange,
    CountResult,
    Join,
    JoinResult,
    Leave,
    Member,
    PresenceEntry,
)

__all__ = ["RedisState"]

#: A process's per-channel hash outlives its liveness entry so a survivor can subtract it.
PROCESS_HASH_TTL = 86400

_SWEEP_MEMBERS = """
local removed = {}
for _, user in ipairs(redis.call('HKEYS', KEYS[1])) do
  local key = ARGV[2] .. user
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
  if redis.call('ZCARD', key) == 0 then
    redis.call('HDEL', KEYS[1], user)
    table.insert(removed, user)
  end
end
"""

_MEMBERS = (
    _SWEEP_MEMBERS
    + """
return {removed, redis.call('HGETALL', KEYS[1])}
"""
)

# KEYS: members hash, presence-channels zset.
# ARGV: now, user key prefix, expires, ttl seconds, channel, limit, then (user, socket, info)...
_JOIN = (
    _SWEEP_MEMBERS
    + """
local status = {}
local limit = tonumber(ARGV[6])
for i = 7, #ARGV, 3 do
  local user = ARGV[i]
  local key = ARGV[2] .. user
  if redis.call('HEXISTS', KEYS[1], user) == 0 and redis.call('HLEN', KEYS[1]) >= limit then
    table.insert(status, 'full')
  else
    redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
    local before = redis.call('ZCARD', key)
    redis.call('ZADD', key, ARGV[3], ARGV[i + 1])
    redis.call('EXPIRE', key, ARGV[4])
    redis.call('HSET', KEYS[1], user, ARGV[i + 2])
    if before == 0 then table.insert(status, 'first') else table.insert(status, 'again') end
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
local version = redis.call('INCR', KEYS[1] .. ':v')
redis.call('EXPIRE', KEYS[1] .. ':v', ARGV[4])
return {removed, status, redis.call('HGETALL', KEYS[1]), version}
"""
)

# ARGV: now, then (members key, user key, socket, user)...; returns 1-based indexes of last leaves.
_LEAVE = """
local last = {}
for i = 2, #ARGV, 4 do
  redis.call('ZREM', ARGV[i + 1], ARGV[i + 2])
  redis.call('ZREMRANGEBYSCORE', ARGV[i + 1], '-inf', ARGV[1])
  if redis.call('ZCARD', ARGV[i + 1]) == 0 then
    redis.call('DEL', ARGV[i + 1])
    if redis.call('HDEL', ARGV[i], ARGV[i + 3]) == 1 then
      table.insert(last, (i - 2) / 4 + 1)
    end
  end
end
return last
"""

# KEYS: procs zset.
# ARGV: process, expires, hash ttl, key prefix, then (app, channel, local, delta)...
_COUNTS = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local out = {}
for i = 5, #ARGV, 4 do
  local app, channel = ARGV[i], ARGV[i + 1]
  local here, delta = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local mine = ARGV[4] .. app .. ':subs:' .. ARGV[1]
  local total = ARGV[4] .. app .. ':subs-total'
  if here > 0 then
    redis.call('HSET', mine, channel, here)
  else
    redis.call('HDEL', mine, channel)
  end
  redis.call('EXPIRE', mine, ARGV[3])
  local n
  if delta ~= 0 then
    n = redis.call('HINCRBY', total, channel, delta)
  else
    n = tonumber(redis.call('HGET', total, channel) or '0')
  end
  if n <= 0 then redis.call('HDEL', total, channel) end
  local event = ''
  if delta > 0 and n == delta then event = 'occupied' end
  if delta < 0 and n <= 0 then event = 'vacated' end
  table.insert(out, {app, channel, tostring(math.max(n, 0)), event})
end
return out
"""

# KEYS: procs zset. ARGV: process, now, expires, hash ttl, key prefix, apps...
# Subtracts the counts of dead processes; says whether this process had been swept itself.
_ALIVE = """
local out = {}
for _, proc in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])) do
  if proc ~= ARGV[1] then
    for i = 6, #ARGV do
      local mine = ARGV[5] .. ARGV[i] .. ':subs:' .. proc
      local total = ARGV[5] .. ARGV[i] .. ':subs-total'
      local flat = redis.call('HGETALL', mine)
      for j = 1, #flat, 2 do
        local n = redis.call('HINCRBY', total, flat[j], -tonumber(flat[j + 1]))
        local event = ''
        if n <= 0 then
          redis.call('HDEL', total, flat[j])
          event = 'vacated'
        end
        table.insert(out, {ARGV[i], flat[j], tostring(math.max(n, 0)), event})
      end
      redis.call('DEL', mine)
    end
    redis.call('ZREM', KEYS[1], proc)
  end
end
local swept = 0
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then swept = 1 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
for i = 6, #ARGV do redis.call('EXPIRE', ARGV[5] .. ARGV[i] .. ':subs:' .. ARGV[1], ARGV[4]) end
return {swept, out}
"""

# ARGV: expires, ttl seconds,
#   then (members key, user key, channels key, channel, user, socket, info)...
# Returns 1-based indexes of members that had been swept and are added again.
_REFRESH = """
local readded = {}
for i = 3, #ARGV, 7 do
  redis.call('ZADD', ARGV[i + 1], ARGV[1], ARGV[i + 5])
  redis.call('EXPIRE', ARGV[i + 1], ARGV[2])
  if redis.call('HSETNX', ARGV[i], ARGV[i + 4], ARGV[i + 6]) == 1 then
    table.insert(readded, (i - 3) / 7 + 1)
  end
  redis.call('EXPIRE', ARGV[i], ARGV[2])
  redis.call('ZADD', ARGV[i + 2], ARGV[1], ARGV[i + 3])
end
return readded
"""


# KEYS: procs zset, connections hash of the app.
# ARGV: process, now, limit, add, remove, this process's expiry.
# Releases ``remove`` connections of this process, then admits up to ``add`` while the live
# processes' connections stay under ``limit``; returns how many were admitted.
_ADMIT = """
redis.call('ZADD', KEYS[1], ARGV[6], ARGV[1])
local mine = tonumber(ARGV[5])
local total = mine
local flat = redis.call('HGETALL', KEYS[2])
for i = 1, #flat, 2 do
  if flat[i] ~= ARGV[1] then
    local alive = redis.call('ZSCORE', KEYS[1], flat[i])
    if alive and tonumber(alive) > tonumber(ARGV[2]) then
      total = total + tonumber(flat[i + 1])
    else
      redis.call('HDEL', KEYS[2], flat[i])
    end
  end
end
local admitted = math.max(0, math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) - total))
redis.call('HSET', KEYS[2], ARGV[1], mine + admitted)
return admitted
"""


#: Delete KEYS[1] if it holds ARGV[1]: the owner of a held leave claims it, once.
_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _pairs(flat: list[Any]) -> dict[str, str]:
    decoded = [_text(v) for v in flat]
    return dict(zip(decoded[::2], decoded[1::2], strict=True))


class RedisState:
    """Presence and counts in Redis, shared by every server process."""

    def __init__(self, url: str, prefix: str, ttl: float, process_id: str) -> None:
        from forge_suite.core.redis import get_async_redis

        self.redis = get_async_redis(url)
        self.prefix = prefix
        self.ttl = ttl
        self.ttl_s = max(1, int(ttl + 0.999))
        self.process_id = process_id
        self._members = self.redis.register_script(_MEMBERS)
        self._join = self.redis.register_script(_JOIN)
        self._leave = self.redis.register_script(_LEAVE)
        self._counts = self.redis.register_script(_COUNTS)
        self._alive = self.redis.register_script(_ALIVE)
        self._refresh = self.redis.register_script(_REFRESH)
        self._admit = self.redis.register_script(_ADMIT)
        self._claim = self.redis.register_script(_CLAIM)

    def _members_key(self, app: str, channel: str) -> str:
        return f"{self.prefix}:{app}:presence:{channel}"

    def _user_key(self, app: str, channel: str, user_id: str) -> str:
        return f"{self._members_key(app, channel)}:u:{user_id}"

    def _channels_key(self, app: str) -> str:
        return f"{self.prefix}:{app}:presence-channels"

    @property
    def _procs_key(self) -> str:
        return f"{self.prefix}:procs"

    async def presence_join_many(self, joins: list[Join]) -> tuple[list[JoinResult], list[Member]]:
        groups: dict[tuple[str, str, int], list[int]] = defaultdict(list)
        for index, join in enumerate(joins):
            groups[(join[0], join[1], join[5])].append(index)
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        for (app, channel, limit), indexes in groups.items():
            members_key = self._members_key(app, channel)
            args: list[Any] = [now, f"{members_key}:u:", now + self.ttl, self.ttl_s, channel, limit]
            for index in indexes:
                args.extend((joins[index][2], joins[index][3], joins[index][4]))
            await self._join(keys=[members_key, self._channels_key(app)], args=args, client=pipe)
        replies = await pipe.execute()
        results: list[JoinResult | None] = [None] * len(joins)
        swept: list[Member] = []
        for ((app, channel, _), indexes), (removed, statuses, flat, version) in zip(
            groups.items(), replies, strict=True
        ):
            members = _pairs(flat)
            swept.extend((app, channel, _text(u)) for u in removed)
            for index, status in zip(indexes, statuses, strict=True):
                results[index] = (_text(status), members, int(version))
        return [r for r in results if r is not None], swept

    async def presence_leave_many(self, leaves: list[Leave]) -> list[bool]:
        args: list[Any] = [time.time()]
        for app, channel, user_id, socket_id in leaves:
            args.extend(
                (
                    self._members_key(app, channel),
                    self._user_key(app, channel, user_id),
                    socket_id,
                    user_id,
                )
            )
        last = {int(i) - 1 for i in await self._leave(keys=[], args=args)}
        return [i in last for i in range(len(leaves))]

    async def presence_members(self, app: str, channel: str) -> tuple[dict[str, str], list[str]]:
        members_key = self._members_key(app, channel)
        removed, flat = await self._members(
            keys=[members_key], args=[time.time(), f"{members_key}:u:"]
        )
        return _pairs(flat), [_text(u) for u in removed]

    async def presence_channels(self, app: str) -> dict[str, int]:
        key = self._channels_key(app)
        await self.redis.zremrangebyscore(key, "-inf", time.time())
        names = [_text(n) for n in await self.redis.zrange(key, 0, -1)]
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hlen(self._members_key(app, name))
        counts = await pipe.execute() if names else []
        return {name: int(n) for name, n in zip(names, counts, strict=True) if n}

    async def sync_counts(self, changes: list[CountChange]) -> list[CountResult]:
        args: list[Any] = [
            self.process_id,
            time.time() + self.ttl,
            PROCESS_HASH_TTL,
            f"{self.prefix}:",
        ]
        for change in changes:
            args.extend(change)
        rows = await self._counts(keys=[self._procs_key], args=args)
        return [(_text(a), _text(c), int(n), _text(e)) for a, c, n, e in rows]

    async def subscription_counts(self, app: str) -> dict[str, int]:
        values = await self.redis.hgetall(f"{self.prefix}:{app}:subs-total")
        return {_text(c): int(n) for c, n in values.items() if int(n) > 0}

    async def heartbeat(
        self, entries: list[PresenceEntry], apps: list[str]
    ) -> tuple[list[PresenceEntry], list[CountResult], bool]:
        now = time.time()
        expires = now + self.ttl
        pipe = self.redis.pipeline(transaction=False)
        args: list[Any] = [
            self.process_id,
            now,
            expires,
            PROCESS_HASH_TTL,
            f"{self.prefix}:",
            *apps,
        ]
        await self._alive(keys=[self._procs_key], args=args, client=pipe)
        if entries:
            refresh: list[Any] = [expires, self.ttl_s]
            for app, channel, user_id, socket_id, user_info in entries:
                refresh.extend(
                    (
                        self._members_key(app, channel),
                        self._user_key(app, channel, user_id),
                        self._channels_key(app),
                        channel,
                        user_id,
                        socket_id,
                        user_info,
                    )
                )
            await self._refresh(keys=[], args=refresh, client=pipe)
        replies = await pipe.execute()
        swept, rows = replies[0]
        readded = [entries[int(i) - 1] for i in replies[1]] if entries else []
        counts = [(_text(a), _text(c), int(n), _text(e)) for a, c, n, e in rows]
        return readded, counts, bool(swept)

    async def admit_connections(self, app: str, limit: int, held: int, add: int) -> int:
        """Record ``held`` connections of this process, admit up to ``add`` under ``limit``."""
        keys = [self._procs_key, f"{self.prefix}:{app}:conns"]
        now = time.time()
        args = [self.process_id, now, limit, add, held, now + self.ttl]
        return int(await self._admit(keys=keys, args=args))

    async def set_connections(self, counts: dict[str, int]) -> None:
        """Write this process's connections per app (heartbeat: repairs drift and sweeps)."""
        pipe = self.redis.pipeline(transaction=False)
        for app, count in counts.items():
            pipe.hset(f"{self.prefix}:{app}:conns", self.process_id, count)
        await pipe.execute()

    async def connections_by_process(self, app: str) -> dict[str, int]:
        """Connections of ``app`` per live server process."""
        now = time.time()
        flat = await self.redis.hgetall(f"{self.prefix}:{app}:conns")
        alive = {_text(p) for p in await self.redis.zrangebyscore(self._procs_key, now, "+inf")}
        return {_text(p): int(n) for p, n in flat.items() if _text(p) in alive}

    async def hold(self, key: str, token: str, seconds: float) -> None:
        # Kept a little past the delay: the owner claims it when the delay is over.
        ttl_ms = int((seconds + max(5.0, self.ttl)) * 1000)
        await self.redis.set(f"{self.prefix}:held:{key}", token, px=ttl_ms)

    async def unhold(self, key: str, token: str | None = None) -> bool:
        name = f"{self.prefix}:held:{key}"
        if token is None:
            return bool(await self.redis.delete(name))
        return bool(await self._claim(keys=[name], args=[token]))

    async def close(self) -> None:
        await self.redis.aclose()
