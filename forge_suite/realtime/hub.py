"""The per-process hub: local connections per channel, one layer subscription per process.

Every server process joins the channel-layer group ``FORGE["REALTIME"]["GROUP"]`` once, so a
broadcast is one layer message per process (one Redis PUBLISH with ``RedisPubSubChannelLayer``)
whatever the number of sockets. The hub then writes the pre-encoded frame to the local sockets
subscribed to the channel. Sockets never join layer groups themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from forge_suite.core.metrics import metrics
from forge_suite.realtime.bookkeeping import Bookkeeper
from forge_suite.realtime.conf import app_settings
from forge_suite.realtime.redis_state import RedisState
from forge_suite.realtime.registry import all_apps
from forge_suite.realtime.state import CountResult, MemoryState
from forge_suite.realtime.transport import (
    MESSAGE_TYPE,
    Connection,
    event_frame,
    layer,
    publish,
)
from forge_suite.realtime.webhooks import WebhookBatcher

__all__ = ["MESSAGE_TYPE", "Connection", "Hub", "event_frame", "get_hub", "publish"]

logger = logging.getLogger("forge_suite.realtime")

#: Above this many subscribers, subscription counts go out at most every COUNT_INTERVAL s.
BUSY_CHANNEL = 100
COUNT_INTERVAL = 5.0


def count_frame(channel: str, count: int) -> str:
    """``pusher_internal:subscription_count`` as pusher-js expects it."""
    data = json.dumps({"subscription_count": count})
    return event_frame("pusher_internal:subscription_count", channel, data)


def build_state(process_id: str) -> Any:
    """Presence and counts in Redis when realtime has a Redis URL, else in this process."""
    from forge_suite.core.conf import forge_settings

    url = app_settings.REDIS_URL or forge_settings.REDIS_URL
    ttl = float(app_settings.PRESENCE_TTL)
    if url:
        return RedisState(str(url), str(app_settings.KEY_PREFIX), ttl, process_id)
    return MemoryState(ttl)


class Hub:
    """Connections of this process, indexed by socket id, channel and signed-in user."""

    def __init__(self) -> None:
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.connections: dict[str, Connection] = {}
        self.channels: dict[tuple[str, str], set[Connection]] = defaultdict(set)
        self.app_connections: dict[str, int] = defaultdict(int)
        self.state = build_state(self.process_id)
        self.metrics = metrics()
        self.layer = layer()
        self.book = Bookkeeper(self)
        self.webhooks = WebhookBatcher(self.state)
        self._cache_missed: dict[tuple[str, str], float] = {}
        self.layer_channel = ""
        self._tasks: list[asyncio.Task[None]] = []
        self._closing_tasks: set[asyncio.Task[None]] = set()
        self._sending: Connection | None = None
        self._sending_task: asyncio.Task[Any] | None = None
        self._send_started = 0.0
        self._stalled: Connection | None = None
        self._stopping = False
        self._started = False
        self._start_lock = asyncio.Lock()
        self._count_sent: dict[tuple[str, str], float] = {}
        self._latest_count: dict[tuple[str, str], int] = {}
        self._count_later: dict[tuple[str, str], asyncio.Task[None]] = {}

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        if self._started:  # every connect asks: no lock once started
            return
        async with self._start_lock:
            if self._started:
                return
            self.layer_channel = await self.layer.new_channel("forge_realtime.")
            await self.layer.group_add(app_settings.GROUP, self.layer_channel)
            self._tasks = [
                asyncio.create_task(self._receive_loop(), name="forge-realtime-receive"),
                asyncio.create_task(self._activity_loop(), name="forge-realtime-activity"),
                asyncio.create_task(self._heartbeat_loop(), name="forge-realtime-heartbeat"),
            ]
            self._started = True
            tune_gc()

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks = []
        for pending in list(self._count_later.values()):
            pending.cancel()
        if self._started:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(app_settings.GROUP, self.layer_channel)
        self._started = False
        await self.webhooks.close()
        await self.state.close()

    # -- registry --------------------------------------------------------------------------
    def new_socket_id(self) -> str:
        while True:
            sid = f"{secrets.randbelow(10**9) + 1}.{secrets.randbelow(10**9) + 1}"
            if sid not in self.connections:
                return sid

    def add_connection(self, conn: Connection) -> None:
        if not self.connections:  # the first socket shows on the admin page at once
            task = asyncio.create_task(self._report_connections())
            self._closing_tasks.add(task)
            task.add_done_callback(self._closing_tasks.discard)
        self.connections[conn.socket_id] = conn
        self.app_connections[conn.app.id] += 1
        self.metrics.ws_connection_opened(conn.app.id)

    async def _report_connections(self) -> None:
        await asyncio.sleep(0)
        try:
            await self.state.set_connections(
                {
                    app.id: self.app_connections[app.id]
                    for app in all_apps()
                    if app.max_connections is None
                }
            )
        except Exception as exc:
            logger.debug("forge_realtime: reporting connections failed: %s", exc)

    def remove_connection(self, conn: Connection) -> None:
        if self.connections.pop(conn.socket_id, None) is None:
            return
        self.app_connections[conn.app.id] -= 1
        self.metrics.ws_connection_closed(conn.app.id)

    def subscribe(self, conn: Connection, channel: str) -> None:
        self.channels[(conn.app.id, channel)].add(conn)

    def unsubscribe(self, conn: Connection, channel: str) -> None:
        key = (conn.app.id, channel)
        members = self.channels.get(key)
        if members is not None:
            members.discard(conn)
            if not members:
                del self.channels[key]

    def local_count(self, app_id: str, channel: str) -> int:
        return len(self.channels.get((app_id, channel), ()))

    # -- delivery --------------------------------------------------------------------------
    async def deliver(self, message: dict[str, Any]) -> int:
        """Write a dispatched message to the local sockets it concerns; returns how many."""
        app_id = message.get("app", "")
        kind = message.get("kind", "event")
        if kind == "terminate":
            user_channel = f"#server-to-user-{message['user_id']}"
            for conn in list(self.channels.get((app_id, user_channel), ())):
                await conn.fail(4009, "Connection terminated by the server", close=True)
            return 0
        excluded = message.get("except")
        sent = 0
        # A client that stops reading makes some servers' send wait for its buffer to drain.
        # check_send_stall() (run by the activity loop) cancels such a send so one slow socket
        # cannot stall the process; a per-send timer would cost more than the send itself.
        self._sending_task = asyncio.current_task()
        for item in message.get("items", ()):
            channel, frame = item[0], item[1]
            skip = item[2] if len(item) > 2 else excluded
            version = item[3] if len(item) > 3 else None
            for conn in list(self.channels.get((app_id, channel), ())):
                if conn.socket_id in (excluded, skip) or conn.closing:
                    continue
                if version is not None and conn.presence_version.get(channel, 0) >= version:
                    continue
                self._sending = conn
                self._send_started = time.monotonic()
                try:
                    await conn.send_frame(frame)
                except asyncio.CancelledError:
                    stalled = self._stalled
                    if stalled is None:  # a real cancellation (shutdown)
                        raise
                    self._stalled = None
                    task = asyncio.current_task()
                    if task is not None:
                        task.uncancel()
                    self._drop_slow(stalled)
                    continue
                except Exception:  # a socket closing under us must not stop the others
                    logger.debug("forge_realtime: send to %s failed", conn.socket_id, exc_info=True)
                    continue
                finally:
                    self._sending = None
                sent += 1
        self._sending_task = None
        if sent:
            for _ in range(sent):
                self.metrics.record_ws_message(app_id, "out")
        return sent

    def check_send_stall(self, now: float | None = None) -> bool:
        """Cancel a fan-out send stuck longer than SEND_TIMEOUT; True if one was."""
        conn, task = self._sending, self._sending_task
        if conn is None or task is None or self._stalled is not None:
            return False
        now = time.monotonic() if now is None else now
        if now - self._send_started <= float(app_settings.SEND_TIMEOUT):
            return False
        self._stalled = conn
        task.cancel()
        return True

    def _drop_slow(self, conn: Connection) -> None:
        """Close a connection whose client does not read (4100: back off, then reconnect)."""
        logger.warning("forge_realtime: closing %s, its client stopped reading", conn.socket_id)
        conn.closing = True
        task = asyncio.create_task(conn.close(code=4100))
        self._closing_tasks.add(task)
        task.add_done_callback(self._closing_tasks.discard)

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.layer_channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis hiccup must not end delivery for the process
                logger.exception("forge_realtime: receiving from the channel layer failed")
                await asyncio.sleep(0.5)
                continue
            try:
                await self.deliver(message)
            except asyncio.CancelledError:
                if self._stopping:
                    raise
                logger.warning("forge_realtime: a fan-out was interrupted", exc_info=True)
            except Exception:
                logger.exception("forge_realtime: delivering a broadcast failed")

    # -- activity timeout -------------------------------------------------------------------
    async def check_activity(self, now: float | None = None) -> None:
        """Ping silent clients; close those that did not answer within PONG_TIMEOUT (4201)."""
        now = time.monotonic() if now is None else now
        pong_timeout = float(app_settings.PONG_TIMEOUT)
        for conn in list(self.connections.values()):
            try:
                if conn.pinged_at is not None:
                    if now - conn.pinged_at > pong_timeout and not conn.closing:
                        await conn.fail(4201, "Pong reply not received in time", close=True)
                elif now - conn.last_seen > conn.app.activity_timeout:
                    conn.pinged_at = now
                    await conn.send_frame('{"event":"pusher:ping","data":"{}"}')
            except Exception:  # the socket is already gone; disconnect() cleans it up
                logger.debug("forge_realtime: ping of %s failed", conn.socket_id, exc_info=True)

    async def _activity_loop(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, float(app_settings.PONG_TIMEOUT) / 2))
            self.check_send_stall()
            try:
                await self.check_activity()
            except Exception:
                logger.exception("forge_realtime: activity check failed")

    # -- presence heartbeat -----------------------------------------------------------------
    async def heartbeat(self) -> None:
        """Refresh this process's TTLs, re-add its members if they were swept while it
        stalled, and subtract the counts of processes that died."""
        entries = []
        presence_channels = set()
        for (app_id, channel), conns in self.channels.items():
            if not channel.startswith("presence-"):
                continue
            presence_channels.add((app_id, channel))
            for conn in conns:
                user_id = conn.presence.get(channel)
                if user_id is not None:
                    info = conn.presence_info.get(channel, "null")
                    entries.append((app_id, channel, user_id, conn.socket_id, info))
        configured = all_apps()
        apps = [app.id for app in configured]
        readded, dead_counts, swept = await self.state.heartbeat(entries, apps)
        # For the admin page and the connection limits; repairs a count that a failed
        # release or a stall left wrong. Apps with a limit are written by the admissions
        # batches only, so the heartbeat never races an admission or a release.
        await self.state.set_connections(
            {
                app.id: self.app_connections[app.id]
                for app in configured
                if app.max_connections is None
            }
        )
        await self.book.rewrite_held(
            {app.id: app.max_connections for app in configured if app.max_connections is not None}
        )
        if swept:
            self.book.forget_counts()
        await self.book.flush_dirty()
        if readded:
            await self.book.readd(readded)
        if dead_counts:
            await self.counts_changed(dead_counts)
        gone: list[tuple[str, str, str]] = []
        for app_id, channel in presence_channels:
            _members, removed = await self.state.presence_members(app_id, channel)
            gone.extend((app_id, channel, user_id) for user_id in removed)
        await self.book.members_removed(gone)

    async def counts_changed(self, rows: list[CountResult]) -> None:
        """Cluster-wide subscription counts changed (occupied/vacated where it says so)."""
        apps = {app.id: app for app in all_apps()}
        items: dict[str, list[list[Any]]] = defaultdict(list)
        now = time.monotonic()
        for app_id, channel, count, event in rows:
            if event:
                self.webhooks.add(app_id, f"channel_{event}", channel=channel)
            app = apps.get(app_id)
            if app is None or not app.subscription_count or channel.startswith("presence-"):
                continue
            key = (app_id, channel)
            self._latest_count[key] = count
            # Above 100 subscribers Pusher sends the count at most every 5 s.
            wait = self._count_sent.get(key, 0.0) + COUNT_INTERVAL - now
            if count > BUSY_CHANNEL and wait > 0:
                if key not in self._count_later:
                    self._count_later[key] = asyncio.create_task(self._count_after(key, wait))
                continue
            self._count_sent[key] = now
            items[app_id].append([channel, count_frame(channel, count)])
        for app_id, app_items in items.items():
            await publish({"app": app_id, "items": app_items})

    async def _count_after(self, key: tuple[str, str], wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            self._count_sent[key] = time.monotonic()
            count = self._latest_count.get(key, 0)
            await publish({"app": key[0], "items": [[key[1], count_frame(key[1], count)]]})
        except Exception as exc:
            logger.warning("forge_realtime: sending a subscription count failed: %s", exc)
        finally:
            self._count_later.pop(key, None)

    async def cache_missed(self, app_id: str, channel: str) -> None:
        """A subscriber of a cache channel found it empty: one webhook per channel and batch."""
        now = time.monotonic()
        key = (app_id, channel)
        if now - self._cache_missed.get(key, -1e9) < float(app_settings.WEBHOOK_BATCH_DELAY):
            return
        self._cache_missed[key] = now
        self.webhooks.add(app_id, "cache_miss", channel=channel)

    async def _heartbeat_loop(self) -> None:
        interval = max(0.2, float(app_settings.PRESENCE_TTL) / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                # Layer groups expire (a day by default); stay a member for good.
                await self.layer.group_add(app_settings.GROUP, self.layer_channel)
                await self.heartbeat()
            except Exception:
                logger.exception("forge_realtime: presence heartbeat failed")


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


#: Python's default thresholds of the cyclic garbage collector.
PYTHON_GC_THRESHOLDS = (700, 10, 10)


def tune_gc() -> None:
    """Make full garbage collections rarer in a process serving sockets.

    Every socket keeps a few hundred objects alive; with Python's default thresholds the
    collector scans all of them again each time the heap has grown by a quarter, which in a
    storm of thousands of connections costs a third of the process's CPU (see the realtime
    benchmarks). Only the third threshold changes, and only if the process still has Python's
    defaults.
    """
    threshold = app_settings.GC_FULL_COLLECTION_THRESHOLD
    if threshold is None or gc.get_threshold() != PYTHON_GC_THRESHOLDS:
        return
    first, second, _ = PYTHON_GC_THRESHOLDS
    gc.set_threshold(first, second, int(threshold))


async def get_hub() -> Hub:
    """The hub of the running event loop, started on first use."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for old_loop in [lp for lp in _hubs if lp.is_closed()]:
            del _hubs[old_loop]
        hub = _hubs[loop] = Hub()
    await hub.start()
    return hub


@contextlib.asynccontextmanager
async def reading_state() -> AsyncIterator[Any]:
    """The shared state for a request that only reads it: the running loop's hub's if this
    loop serves sockets, otherwise a transient one, closed after (a WSGI worker, where each
    request runs on a new loop, must not start a hub it would leave behind)."""
    hub = current_hub()
    if hub is not None:
        yield hub.state
        return
    state = build_state(f"reader:{socket.gethostname()}:{os.getpid()}")
    try:
        yield state
    finally:
        await state.close()


def current_hub() -> Hub | None:
    """The running loop's hub if one exists (HTTP API in the same process)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return _hubs.get(loop)


async def reset_hub() -> None:
    """Stop and forget the running loop's hub (tests)."""
    hub = _hubs.pop(asyncio.get_running_loop(), None)
    if hub is not None:
        await hub.stop()
