"""Subscribe and leave bookkeeping of one process, batched for reconnect storms.

A socket's subscribe or leave changes the process's local registry at once and then waits for
the shared state (Redis) through a :class:`~forge_suite.realtime.batching.Coalescer`: the
concurrent subscribes and leaves of thousands of sockets become a few Redis round trips, and
the member_added/member_removed frames they cause go out as one channel-layer message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any, Protocol

from forge_suite.realtime.batching import Coalescer
from forge_suite.realtime.state import CountResult, Join, Leave, Member, State
from forge_suite.realtime.transport import Connection, event_frame, publish

__all__ = ["Bookkeeper", "member_added_frame", "member_removed_frame"]

logger = logging.getLogger("forge_suite.realtime")

ChannelKey = tuple[str, str]
#: ("first" | "again" | "full", subscription_succeeded data, member-list version)
Joined = tuple[str, str, int]


class Registry(Protocol):
    """The part of the hub the bookkeeping uses."""

    channels: dict[ChannelKey, set[Any]]
    state: State
    webhooks: Any

    def subscribe(self, conn: Connection, channel: str) -> None: ...
    def unsubscribe(self, conn: Connection, channel: str) -> None: ...
    def local_count(self, app_id: str, channel: str) -> int: ...
    async def counts_changed(self, rows: list[CountResult]) -> None: ...


def member_added_frame(channel: str, user_id: str, user_info: str) -> str:
    data = json.dumps({"user_id": user_id, "user_info": json.loads(user_info)})
    return event_frame("pusher_internal:member_added", channel, data)


def presence_payload(members: dict[str, str]) -> str:
    """``subscription_succeeded`` data of a presence channel; member infos are JSON already."""
    ids = json.dumps(list(members))
    infos = ",".join(f"{json.dumps(uid)}:{info}" for uid, info in members.items())
    return f'{{"presence":{{"ids":{ids},"hash":{{{infos}}},"count":{len(members)}}}}}'


def member_removed_frame(channel: str, user_id: str) -> str:
    return event_frame("pusher_internal:member_removed", channel, json.dumps({"user_id": user_id}))


class Bookkeeper:
    """Writes this process's subscriptions and presence to the shared state in batches."""

    def __init__(self, hub: Registry) -> None:
        self.hub = hub
        #: subscribers per channel as last written to the shared state
        self.counted: dict[ChannelKey, int] = {}
        #: channels whose count could not be written (retried by the next flush or heartbeat)
        self.dirty: set[ChannelKey] = set()
        self.counts: Coalescer[ChannelKey, int] = Coalescer("subscription count", self._counts)
        self.joins: Coalescer[Join, Joined] = Coalescer("presence join", self._joins)
        self.leaves: Coalescer[Leave, bool] = Coalescer("presence leave", self._leaves)
        #: (app id, limit, +1 to connect, -1 to release or 0 to rewrite) -> admitted?
        self.admissions: Coalescer[tuple[str, int, int], bool] = Coalescer(
            "connection limit", self._admissions
        )
        #: connections per app with a limit that this process holds in the shared count
        self.held: dict[str, int] = defaultdict(int)

    # -- connections per app (cluster-wide limit) ------------------------------------------------
    async def admit(self, app_id: str, limit: int) -> bool:
        """Count one more connection of ``app_id`` if the cluster has fewer than ``limit``."""
        return await self.admissions.submit((app_id, limit, 1))

    async def release(self, app_id: str, limit: int) -> None:
        await self.admissions.submit((app_id, limit, -1))

    async def rewrite_held(self, limits: dict[str, int]) -> None:
        """Rewrite this process's share of each limited app's count (the heartbeat).

        It goes through the same one-at-a-time batches as admissions, so it never races one:
        the shared count is always written as an absolute ``held`` from this one place.
        """
        await asyncio.gather(*(self.admissions.submit((a, n, 0)) for a, n in limits.items()))

    async def _admissions(self, items: list[tuple[str, int, int]]) -> list[bool]:
        per_app: dict[tuple[str, int], list[int]] = defaultdict(list)
        for index, (app_id, limit, _delta) in enumerate(items):
            per_app[(app_id, limit)].append(index)
        results = [True] * len(items)
        for (app_id, limit), indexes in per_app.items():
            wanted = [i for i in indexes if items[i][2] > 0]
            released = sum(1 for i in indexes if items[i][2] < 0)
            self.held[app_id] = max(0, self.held[app_id] - released)
            admitted = await self.hub.state.admit_connections(
                app_id, limit, self.held[app_id], len(wanted)
            )
            self.held[app_id] += admitted
            for rank, index in enumerate(wanted):
                results[index] = rank < admitted
        return results

    # -- counts ------------------------------------------------------------------------------
    async def sync(self, app_id: str, channel: str) -> int:
        """Write the local count of ``channel``; returns its subscribers in the cluster."""
        return await self.counts.submit((app_id, channel))

    async def _counts(self, keys: list[ChannelKey]) -> list[int]:
        todo = list(dict.fromkeys([*keys, *self.dirty]))
        changes = []
        for app_id, channel in todo:
            here = self.hub.local_count(app_id, channel)
            changes.append((app_id, channel, here, here - self.counted.get((app_id, channel), 0)))
        try:
            rows = await self.hub.state.sync_counts(changes)
        except Exception:
            self.dirty.update(todo)
            raise
        self.dirty.difference_update(todo)
        for app_id, channel, here, _ in changes:
            if here > 0:
                self.counted[(app_id, channel)] = here
            else:
                self.counted.pop((app_id, channel), None)
        await self.hub.counts_changed(rows)
        totals = {(a, c): n for a, c, n, _ in rows}
        return [totals[key] for key in keys]

    def forget_counts(self) -> None:
        """The shared state lost this process's counts (it stalled): write them all again."""
        self.counted.clear()
        self.dirty.update(k for k in self.hub.channels if not k[1].startswith("#"))

    async def flush_dirty(self) -> None:
        if self.dirty:
            key = next(iter(self.dirty))
            await self.counts.submit(key)

    # -- presence ------------------------------------------------------------------------------
    async def _joins(self, joins: list[Join]) -> list[Joined]:
        results, swept = await self.hub.state.presence_join_many(joins)
        for app_id, channel, user_id in swept:
            self.hub.webhooks.add(app_id, "member_removed", channel=channel, user_id=user_id)
        items: list[tuple[str, list[Any]]] = [
            (app_id, [channel, member_removed_frame(channel, user_id)])
            for app_id, channel, user_id in swept
        ]
        payloads: dict[tuple[str, str, int], str] = {}
        joined: list[Joined] = []
        for (app_id, channel, user_id, socket_id, user_info, _), (status, members, version) in zip(
            joins, results, strict=True
        ):
            if status == "first":
                self.hub.webhooks.add(app_id, "member_added", channel=channel, user_id=user_id)
                frame = member_added_frame(channel, user_id, user_info)
                # Sockets whose member list is of this version or later already hold the user.
                items.append((app_id, [channel, frame, socket_id, version]))
            key = (app_id, channel, version)
            if key not in payloads:  # one encoding per channel and batch, not per socket
                payloads[key] = presence_payload(members)
            joined.append((status, payloads[key], version))
        await self.publish(items)
        return joined

    async def _leaves(self, leaves: list[Leave]) -> list[bool]:
        last = await self.hub.state.presence_leave_many(leaves)
        gone: list[Member] = [
            (app_id, channel, user_id)
            for (app_id, channel, user_id, _), is_last in zip(leaves, last, strict=True)
            if is_last
        ]
        await self.members_removed(gone)
        return last

    async def members_removed(self, gone: list[Member]) -> None:
        for app_id, channel, user_id in gone:
            self.hub.webhooks.add(app_id, "member_removed", channel=channel, user_id=user_id)
        await self.publish(
            [
                (app_id, [channel, member_removed_frame(channel, uid)])
                for app_id, channel, uid in gone
            ]
        )

    async def publish(self, items: list[tuple[str, list[Any]]]) -> None:
        """One channel-layer message per app for all ``items`` (channel, frame[, except])."""
        per_app: dict[str, list[list[Any]]] = defaultdict(list)
        for app_id, item in items:
            per_app[app_id].append(item)
        for app_id, app_items in per_app.items():
            try:
                await publish({"app": app_id, "items": app_items})
            except Exception as exc:  # presence stays right; only these frames are lost
                logger.warning(
                    "forge_realtime: publishing %d presence frames failed: %s", len(app_items), exc
                )

    # -- what sockets call -----------------------------------------------------------------------
    async def subscribe(self, conn: Connection, channel: str) -> int:
        """Register ``conn`` on ``channel`` here and in the cluster; returns the cluster count."""
        self.hub.subscribe(conn, channel)
        return await self.sync(conn.app.id, channel)

    async def join_presence(
        self, conn: Connection, channel: str, user_id: str, user_info: str, limit: int
    ) -> Joined:
        return await self.joins.submit(
            (conn.app.id, channel, user_id, conn.socket_id, user_info, limit)
        )

    async def leave(self, conn: Connection, channel: str, user_id: str | None) -> None:
        """Remove ``conn`` from ``channel`` here, then from the cluster's counts and presence."""
        self.hub.unsubscribe(conn, channel)
        if channel.startswith("#"):
            return
        if user_id is None:
            await self.sync(conn.app.id, channel)
            return
        # The count and the presence leave are independent batches: neither waits for the
        # other's round trip (in a storm of closes member_removed went out a batch later).
        # gather() over the batches' futures: both awaited, no task for either.
        results = await asyncio.gather(
            self.counts.enqueue((conn.app.id, channel)),
            self.leaves.enqueue((conn.app.id, channel, user_id, conn.socket_id)),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, Exception):
                raise result

    async def readd(self, entries: list[Any]) -> None:
        for app_id, channel, user_id, _socket, _info in entries:
            self.hub.webhooks.add(app_id, "member_added", channel=channel, user_id=user_id)
        await self.publish(
            [
                (app_id, [channel, member_added_frame(channel, user_id, info), socket_id])
                for app_id, channel, user_id, socket_id, info in entries
            ]
        )

    async def swept_counts(self, rows: list[CountResult]) -> None:
        await self.hub.counts_changed(rows)
