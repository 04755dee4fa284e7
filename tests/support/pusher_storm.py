"""Many lightweight Pusher-protocol clients at once (Python websockets, no Node process each).

Used by the realtime storm tests and ``benchmarks/realtime_storm.py`` to reproduce a reconnect
storm: every client connects and subscribes at the same moment, then all close together.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forge_suite.realtime.signing import channel_auth

__all__ = ["StormClient", "StormResult", "close_all", "storm"]


@dataclass
class StormClient:
    """One connected, subscribed client."""

    ws: Any
    socket_id: str
    channel: str
    user_id: str | None
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StormResult:
    clients: list[StormClient]
    failures: list[str]
    seconds: float
    retried: int = 0


async def _open(
    port: int,
    key: str,
    secret: str,
    channel: str,
    user_id: str | None,
    timeout: float,
) -> StormClient:
    from websockets.asyncio.client import connect

    ws = await connect(
        f"ws://127.0.0.1:{port}/app/{key}?protocol=7&client=storm&version=1",
        ping_interval=None,
        max_queue=None,
        compression=None,
        open_timeout=timeout,
    )
    try:
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if hello.get("event") != "pusher:connection_established":
            raise RuntimeError(f"handshake: {hello}")
        socket_id = json.loads(hello["data"])["socket_id"]
        data: dict[str, Any] = {"channel": channel}
        if channel.startswith("presence-"):
            channel_data = json.dumps({"user_id": user_id, "user_info": {"n": user_id}})
            data["channel_data"] = channel_data
            data["auth"] = channel_auth(key, secret, socket_id, channel, channel_data)
        elif channel.startswith("private-"):
            data["auth"] = channel_auth(key, secret, socket_id, channel)
        await ws.send(json.dumps({"event": "pusher:subscribe", "data": data}))
        client = StormClient(ws, socket_id, channel, user_id)
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(
                await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
            )
            if frame.get("event") == "pusher_internal:subscription_succeeded":
                return client
            if frame.get("event") in ("pusher:error", "pusher:subscription_error"):
                raise RuntimeError(f"refused: {frame}")
            client.events.append(frame)
    except BaseException:
        await ws.close()
        raise


async def storm(
    port: int | list[int],
    key: str,
    secret: str,
    count: int,
    channel_of: Callable[[int], str],
    *,
    timeout: float = 30,
    user_prefix: str = "",
    retries: int = 0,
) -> StormResult:
    """Connect and subscribe ``count`` clients at once (spread over ``port`` if a list).

    Client ``i`` joins ``channel_of(i)`` as user ``f"{user_prefix}{i}"``; failures are
    reported, not raised. ``retries`` > 0 makes a failed client try again after 1-3 s, as
    pusher-js reconnects (``StormResult.retried`` counts those attempts).
    """
    import random

    ports = port if isinstance(port, list) else [port]
    retried = 0

    async def one(i: int) -> StormClient:
        nonlocal retried
        for attempt in range(retries + 1):
            try:
                return await _open(
                    ports[i % len(ports)], key, secret, channel_of(i), f"{user_prefix}{i}", timeout
                )
            except Exception:
                if attempt == retries:
                    raise
                retried += 1
                await asyncio.sleep(random.uniform(1.0, 3.0))
        raise AssertionError("unreachable")

    started = time.monotonic()
    results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    seconds = time.monotonic() - started
    clients = [r for r in results if isinstance(r, StormClient)]
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    return StormResult(clients, failures, seconds, retried)


async def close_all(clients: list[StormClient]) -> None:
    """Close every client at the same moment (a load balancer dropping them)."""
    await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)


async def collect(
    ws: Any, until: Callable[[list[dict[str, Any]]], bool], timeout: float
) -> list[dict[str, Any]]:
    """Frames received on ``ws`` until ``until(frames)`` holds or ``timeout`` passes."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not until(frames):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), remaining)))
        except TimeoutError:
            break
    return frames
