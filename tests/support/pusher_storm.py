"""Many lightweight Pusher-protocol clients at once (Python websockets, no Node process each).

Used by the realtime storm tests and ``benchmarks/realtime_storm.py`` to reproduce a reconnect
storm: every client connects and subscribes at the same moment, then all close together.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forge_suite.realtime.signing import channel_auth

__all__ = ["LightSocket", "StormClient", "StormResult", "close_all", "connect_light", "storm"]


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


class LightSocket(asyncio.Protocol):
    """A WebSocket client on websockets' sans-I/O protocol (the layer uvicorn's
    ``websockets-sansio`` server uses): one asyncio protocol object per socket, no tasks, no
    keepalive. Ten thousand of them cost the client process a fraction of what as many
    ``websockets.asyncio`` clients do, so a storm measures the server rather than its clients.
    """

    def __init__(self, uri: str) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.protocol = ClientProtocol(parse_uri(uri), max_size=None)
        self.transport: asyncio.Transport | None = None
        self.frames: collections.deque[str] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.handshake_exc is not None:
                    self._settle(self.opened, self.protocol.handshake_exc)
                else:
                    self._settle(self.opened)
            elif event.opcode is Opcode.TEXT:
                self.frames.append(event.data.decode())
        self._flush()
        if self.frames and self.waiter is not None:
            self._settle(self.waiter)

    def connection_lost(self, exc: Exception | None) -> None:
        error = ConnectionError("the connection closed")
        self._settle(self.opened, error)
        self._settle(self.closed)
        if self.waiter is not None:
            self._settle(self.waiter, error)

    # -- the part of websockets' client API the storms use -----------------------------------
    async def recv(self) -> str:
        while not self.frames:
            if self.closed.done():
                raise ConnectionError("the connection closed")
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.frames.popleft()

    async def send(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        self._flush()

    def start_close(self) -> None:
        """Send the close frame (code 1000) now; :meth:`close` waits for the rest."""
        from websockets.protocol import State

        if self.transport is not None and self.protocol.state is State.OPEN:
            self.protocol.send_close(1000)  # otherwise the server is closing it already
            self._flush()

    async def close(self, timeout: float = 10) -> None:
        """Close handshake (code 1000), then wait for the server to close the TCP connection."""
        if self.transport is None or self.closed.done():
            return
        self.start_close()
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        except TimeoutError:
            self.transport.abort()

    def _flush(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        data = self.protocol.data_to_send()
        if not data:
            return
        if data[-1] == b"":  # the protocol asks to half-close: the server closes first here
            data = data[:-1]
        self.transport.write(b"".join(data))

    @staticmethod
    def _settle(future: asyncio.Future[None], error: BaseException | None = None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
            future.exception()  # retrieved: nobody may be waiting on it


async def connect_light(uri: str, timeout: float) -> LightSocket:
    """Open a :class:`LightSocket` to ``ws://host:port/path`` within ``timeout`` seconds."""
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    loop = asyncio.get_running_loop()
    transport, socket = await asyncio.wait_for(
        loop.create_connection(lambda: LightSocket(uri), parts.hostname, parts.port), timeout
    )
    try:
        await asyncio.wait_for(asyncio.shield(socket.opened), timeout)
    except BaseException:
        transport.abort()
        raise
    return socket


async def _open(
    port: int,
    key: str,
    secret: str,
    channel: str,
    user_id: str | None,
    timeout: float,
) -> StormClient:
    ws = await connect_light(
        f"ws://127.0.0.1:{port}/app/{key}?protocol=7&client=storm&version=1", timeout
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


async def close_all(clients: list[StormClient], timeout: float = 10) -> None:
    """Close every client at the same moment (a load balancer dropping them): every close
    frame is written first, then the closing handshakes are awaited together."""
    for client in clients:
        client.ws.start_close()
    waiting = [c.ws.closed for c in clients if not c.ws.closed.done()]
    if waiting:
        _, late = await asyncio.wait(waiting, timeout=timeout)
        for client in clients:
            if client.ws.closed in late and client.ws.transport is not None:
                client.ws.transport.abort()


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
