"""State shared by every server process: presence members and subscription counts.

Every call takes a batch (one Redis round trip for all the sockets of a reconnect storm; see
:mod:`forge_suite.realtime.batching`). :class:`~forge_suite.realtime.redis_state.RedisState`
keeps the state in Redis for several processes; :class:`MemoryState` is the embedded default
for a single process.

Subscription counts are kept per process (what this process has) and in total per channel (an
atomic counter), so "first subscriber anywhere" (``occupied``) and "last one gone anywhere"
(``vacated``) are decided once for the cluster.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Protocol

__all__ = [
    "CountChange",
    "CountResult",
    "Join",
    "JoinResult",
    "Leave",
    "MemoryState",
    "PresenceEntry",
    "State",
]

#: (app id, channel, user id, socket id, user info JSON) of a presence connection
PresenceEntry = tuple[str, str, str, str, str]
#: a presence connection joining, and the channel's member limit
Join = tuple[str, str, str, str, str, int]
#: ("first" | "again" | "full", members {user id: user info JSON} after the batch, version):
#: the version counts the join batches of the channel, so a socket can skip the member_added
#: frames of members its own member list already held.
JoinResult = tuple[str, dict[str, str], int]
#: (app id, channel, user id, socket id) of a presence connection leaving
Leave = tuple[str, str, str, str]
#: (app id, channel, subscribers in this process now, change since last written)
CountChange = tuple[str, str, int, int]
#: (app id, channel, subscribers in the cluster, "occupied" | "vacated" | "")
CountResult = tuple[str, str, int, str]
#: (app id, channel, user id) of a member that left or was swept
Member = tuple[str, str, str]


class State(Protocol):
    async def presence_join_many(self, joins: list[Join]) -> tuple[list[JoinResult], list[Member]]:
        """Join each connection; also returns members swept because their process died."""
        ...

    async def presence_leave_many(self, leaves: list[Leave]) -> list[bool]:
        """Remove each connection; True where it was the user's last one in the channel."""
        ...

    async def presence_members(
        self, app: str, channel: str
    ) -> tuple[dict[str, str], list[str]]: ...
    async def presence_channels(self, app: str) -> dict[str, int]: ...
    async def sync_counts(self, changes: list[CountChange]) -> list[CountResult]: ...
    async def subscription_counts(self, app: str) -> dict[str, int]: ...
    async def heartbeat(
        self, entries: list[PresenceEntry], apps: list[str]
    ) -> tuple[list[PresenceEntry], list[CountResult], bool]:
        """Refresh TTLs; returns (members re-added, counts of dead processes, swept?)."""
        ...

    async def admit_connections(self, app: str, limit: int, held: int, add: int) -> int:
        """Record that this process holds ``held`` connections of ``app`` (an absolute count,
        so a write that races a heartbeat cannot count a release twice), then admit up to
        ``add`` more under the cluster's ``limit``; returns how many were admitted."""
        ...

    async def set_connections(self, counts: dict[str, int]) -> None: ...
    async def connections_by_process(self, app: str) -> dict[str, int]: ...

    async def hold(self, key: str, token: str, seconds: float) -> None:
        """Remember a held leave webhook (vacated, member_removed) under ``key``."""
        ...

    async def unhold(self, key: str, token: str | None = None) -> bool:
        """Forget the held leave under ``key`` (only if it is ``token``'s when given); True
        when there was one: the caller then owns it (sends it, or drops it and its join)."""
        ...

    async def close(self) -> None: ...


class MemoryState:
    """Presence and counts of this process only."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.members: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        self.conns: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
        self.counts: dict[str, dict[str, int]] = defaultdict(dict)
        self.versions: dict[tuple[str, str], int] = defaultdict(int)
        self.connections: dict[str, int] = defaultdict(int)
        self.held: dict[str, str] = {}

    def _prune(self, key: tuple[str, str, str]) -> dict[str, float]:
        now = time.time()
        conns = self.conns[key]
        for sid in [s for s, exp in conns.items() if exp <= now]:
            del conns[sid]
        return conns

    def _sweep(self, app: str, channel: str) -> list[str]:
        members = self.members[(app, channel)]
        removed = [u for u in list(members) if not self._prune((app, channel, u))]
        for user_id in removed:
            members.pop(user_id, None)
            self.conns.pop((app, channel, user_id), None)
        return removed

    async def presence_join_many(self, joins: list[Join]) -> tuple[list[JoinResult], list[Member]]:
        swept: list[Member] = []
        for app, channel in dict.fromkeys((j[0], j[1]) for j in joins):
            swept.extend((app, channel, u) for u in self._sweep(app, channel))
        statuses = []
        for app, channel, user_id, socket_id, user_info, limit in joins:
            members = self.members[(app, channel)]
            if user_id not in members and len(members) >= limit:
                statuses.append("full")
                continue
            conns = self._prune((app, channel, user_id))
            statuses.append("again" if conns else "first")
            conns[socket_id] = time.time() + self.ttl
            members[user_id] = user_info
        versions = {}
        for app, channel in dict.fromkeys((j[0], j[1]) for j in joins):
            self.versions[(app, channel)] += 1
            versions[(app, channel)] = self.versions[(app, channel)]
        results = [
            (s, dict(self.members[(j[0], j[1])]), versions[(j[0], j[1])])
            for s, j in zip(statuses, joins, strict=True)
        ]
        return results, swept

    async def presence_leave_many(self, leaves: list[Leave]) -> list[bool]:
        last = []
        for app, channel, user_id, socket_id in leaves:
            conns = self._prune((app, channel, user_id))
            conns.pop(socket_id, None)
            if conns:
                last.append(False)
                continue
            self.conns.pop((app, channel, user_id), None)
            last.append(self.members[(app, channel)].pop(user_id, None) is not None)
        return last

    async def presence_members(self, app: str, channel: str) -> tuple[dict[str, str], list[str]]:
        removed = self._sweep(app, channel)
        return dict(self.members[(app, channel)]), removed

    async def presence_channels(self, app: str) -> dict[str, int]:
        return {ch: len(m) for (a, ch), m in self.members.items() if a == app and m}

    async def sync_counts(self, changes: list[CountChange]) -> list[CountResult]:
        results = []
        for app, channel, local, delta in changes:
            counts = self.counts[app]
            before = counts.get(channel, 0)
            if local > 0:
                counts[channel] = local
            else:
                counts.pop(channel, None)
            event = "occupied" if before == 0 and local > 0 else ""
            if before > 0 and local <= 0:
                event = "vacated"
            results.append((app, channel, max(local, 0), event if delta else ""))
        return results

    async def subscription_counts(self, app: str) -> dict[str, int]:
        return dict(self.counts[app])

    async def heartbeat(
        self, entries: list[PresenceEntry], apps: list[str]
    ) -> tuple[list[PresenceEntry], list[CountResult], bool]:
        expires = time.time() + self.ttl
        readded = []
        for entry in entries:
            app, channel, user_id, socket_id, user_info = entry
            self.conns[(app, channel, user_id)][socket_id] = expires
            members = self.members[(app, channel)]
            if user_id not in members:
                members[user_id] = user_info
                readded.append(entry)
        return readded, [], False

    async def admit_connections(self, app: str, limit: int, held: int, add: int) -> int:
        current = held
        admitted = max(0, min(add, limit - current))
        self.connections[app] = current + admitted
        return admitted

    async def set_connections(self, counts: dict[str, int]) -> None:
        self.connections.update(counts)

    async def connections_by_process(self, app: str) -> dict[str, int]:
        return {"this process": self.connections.get(app, 0)}

    async def hold(self, key: str, token: str, seconds: float) -> None:
        self.held[key] = token

    async def unhold(self, key: str, token: str | None = None) -> bool:
        found = self.held.get(key)
        if found is None or (token is not None and found != token):
            return False
        del self.held[key]
        return True

    async def close(self) -> None:
        return None
