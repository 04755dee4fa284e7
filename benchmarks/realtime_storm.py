"""Reconnect storm: N clients connect and subscribe at the same moment, then all close at once.

    python benchmarks/realtime_storm.py [--n 10000] [--processes 1|2] [--server uvicorn]

Servers use Redis (RedisPubSubChannelLayer and Redis presence/counts). One run measures:

- forge_suite.realtime, public channel: time until all N are subscribed, failures, and after
  closing all at once the time until the HTTP API reports the channel vacated;
- forge_suite.realtime, presence: N members over N/P presence channels (``--per-channel`` P,
  default 10: every join sends member_added to the members already there, so the frames grow
  with P squared), each watched by one extra member in a process of its own (other users'
  browsers); time to settle, failures, and the latency of the member_removed frames the
  watchers receive after all N close (median, max);
- the clients are ``tests.support.pusher_storm``'s light sockets (websockets' sans-I/O
  protocol, one asyncio protocol object each), so the client process costs less CPU than the
  server it measures;
- baseline: the Channels tutorial consumer (``group_add`` per socket on RedisChannelLayer),
  N handshakes at the same moment; time to settle and failures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.realtime_common import (
    APP_KEY,
    BenchServer,
    default_server,
    fast_loop,
    percentile,
    raise_fd_limit,
    try_open_many,
)
from tests.support.pusher_storm import close_all, connect_light, storm

SECRET = "bench-secret"
#: Like pusher-js, a client whose handshake failed tries again (after 1-3 s), up to 5 times.
RETRIES = 5


def start(layer: str, prefix: str, redis_url: str, server: str, count: int) -> list[BenchServer]:
    os.environ["BENCH_STATE"] = "redis"
    return [BenchServer(layer, prefix, redis_url, server) for _ in range(count)]


def channel_info(server: BenchServer, channel: str) -> dict[str, Any]:
    import pusher

    client = pusher.Pusher(
        app_id="1",
        key=APP_KEY,
        secret=SECRET,
        host="127.0.0.1",
        port=server.port,
        ssl=False,
        timeout=60,  # the server is busy with the storm
    )
    return dict(client.channel_info(channel, ["subscription_count"]))


async def public_storm(servers: list[BenchServer], n: int) -> dict[str, Any]:
    ports = [s.port for s in servers]
    result = await storm(ports, APP_KEY, SECRET, n, lambda i: "storm", timeout=120, retries=RETRIES)
    info = await asyncio.to_thread(channel_info, servers[0], "storm")
    closed = time.monotonic()
    await close_all(result.clients)
    while (await asyncio.to_thread(channel_info, servers[0], "storm"))["occupied"]:
        if time.monotonic() - closed > 60:
            break
        await asyncio.sleep(0.05)
    return {
        "settle_s": result.seconds,
        "failures": len(result.failures),
        "retried": result.retried,
        "counted": info.get("subscription_count"),
        "vacated_after_close_s": time.monotonic() - closed,
        "first_failure": result.failures[:1],
    }


def _watch(ports: list[int], channels: int, expected: int, pipe: Any) -> None:
    """Watcher process: one member per presence channel, reporting when each
    member_removed frame arrives (``time.monotonic()``, the same clock in every process).

    The watchers are other users' browsers: they run in a process of their own, so the
    latency they measure is the server's, not the closing clients' event loop's.
    """
    fast_loop()

    async def run() -> list[float]:
        watchers = await storm(
            ports, APP_KEY, SECRET, channels, lambda i: f"presence-storm.{i}", user_prefix="w"
        )
        if watchers.failures:
            raise RuntimeError(f"watchers failed: {watchers.failures[:1]}")
        arrivals: list[float] = []
        added = 0

        async def watch(watcher: Any) -> None:
            nonlocal added
            while len(arrivals) < expected:
                try:
                    frame = json.loads(await watcher.ws.recv())
                except Exception:
                    return
                if frame["event"] == "pusher_internal:member_removed":
                    arrivals.append(time.monotonic())
                elif frame["event"] == "pusher_internal:member_added":
                    added += 1

        tasks = [asyncio.create_task(watch(w)) for w in watchers.clients]
        pipe.send("ready")
        await asyncio.to_thread(pipe.recv)  # the storm has settled: "closing"
        await asyncio.wait(tasks, timeout=60)
        await close_all(watchers.clients)
        return arrivals

    pipe.send(asyncio.run(run()))


async def presence_storm(servers: list[BenchServer], n: int, per_channel: int) -> dict[str, Any]:
    import multiprocessing

    ports = [s.port for s in servers]
    channels = max(1, n // per_channel)

    def channel_of(i: int) -> str:
        return f"presence-storm.{i % channels}"

    here, there = multiprocessing.get_context("spawn").Pipe()
    watcher = multiprocessing.get_context("spawn").Process(
        target=_watch, args=(ports, channels, n, there)
    )
    watcher.start()
    if not await asyncio.to_thread(here.poll, 120) or here.recv() != "ready":
        raise RuntimeError("the watcher process did not start")
    result = await storm(ports, APP_KEY, SECRET, n, channel_of, timeout=120, retries=RETRIES)
    await asyncio.sleep(1)  # the watchers drain the member_added frames of the storm
    here.send("closing")
    closed_at = time.monotonic()
    await close_all(result.clients)
    arrivals = await asyncio.to_thread(here.recv)
    await asyncio.to_thread(watcher.join, 30)
    latencies = [t - closed_at for t in arrivals if t >= closed_at]
    return {
        "settle_s": result.seconds,
        "failures": len(result.failures),
        "retried": result.retried,
        "member_removed": f"{len(latencies)}/{len(result.clients)}",
        "member_removed_p50_s": percentile(latencies, 50) if latencies else None,
        "member_removed_max_s": max(latencies) if latencies else None,
        "first_failure": result.failures[:1],
    }


async def baseline_storm(servers: list[BenchServer], n: int) -> dict[str, Any]:
    started = time.monotonic()
    ports = [s.port for s in servers]

    retried = 0

    async def opener(i: int) -> Any:
        import random

        nonlocal retried
        for attempt in range(RETRIES + 1):
            try:
                # The same light client as ours (tests/support/pusher_storm.py).
                return await connect_light(f"ws://127.0.0.1:{ports[i % len(ports)]}/baseline/", 120)
            except Exception:
                if attempt == RETRIES:
                    raise
                retried += 1
                await asyncio.sleep(random.uniform(1.0, 3.0))
        raise AssertionError("unreachable")

    sockets, failures = await try_open_many(n, opener, concurrency=n)
    seconds = time.monotonic() - started
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {
        "settle_s": seconds,
        "failures": len(failures),
        "retried": retried,
        "first_failure": failures[:1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default=default_server())
    parser.add_argument("--per-channel", type=int, default=10)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    raise_fd_limit(args.n + 2 * args.n // 100 + 500)  # the servers are other processes
    fast_loop()
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(
        f"{args.n} clients, {args.processes} process(es), {args.server}, "
        f"{args.per_channel} members per presence channel"
    )
    runs: list[tuple[str, str, Any]] = [
        ("forge public", "pubsub", public_storm),
        ("forge presence", "pubsub", lambda s, n: presence_storm(s, n, args.per_channel)),
    ]
    if not args.skip_baseline:
        runs.append(("channels group_add", "core", baseline_storm))
    for name, layer, run in runs:
        prefix = f"forge-bench-storm-{uuid.uuid4().hex[:8]}"
        servers = start(layer, prefix, redis_url, args.server, args.processes)
        try:
            result = asyncio.run(run(servers, args.n))
        finally:
            for server in servers:
                server.stop()
            import redis

            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(match=f"{prefix}*", count=1000):
                client.delete(key)
        print(name, json.dumps(result, default=str), flush=True)
    print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
