"""Broadcast fan-out latency to N subscribers: forge_suite.realtime vs Channels group_send.

    python benchmarks/realtime_fanout.py [--subscribers 1000] [--rounds 30]

Both servers are one uvicorn (or ``--server daphne``) process on loopback with channels-redis
on Redis (``BENCH_REDIS_URL``, default db 6):

- forge_suite.realtime: RedisPubSubChannelLayer, one PUBLISH per broadcast; the server's hub
  writes the frame to its local subscribers (Pusher protocol clients).
- baseline: the Channels tutorial pattern, every socket in a channel-layer group on
  channels_redis.core.RedisChannelLayer, fanned out with ``group_send``.

Latency is measured from just before the broadcast call in this process to the arrival of
the message at each client socket (also in this process), so it includes client overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.realtime_common import (
    BenchServer,
    default_server,
    fast_loop,
    open_baseline,
    open_many,
    open_pusher,
    percentile,
    raise_fd_limit,
)


def configure(redis_url: str, prefix: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="benchmark",
        INSTALLED_APPS=["forge_suite.core", "forge_suite.realtime"],
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [redis_url], "prefix": f"{prefix}-ours"},
            },
            "baseline": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [redis_url], "prefix": f"{prefix}-base"},
            },
        },
        FORGE={"REALTIME": {"APPS": [{"id": "1", "key": "bench-key", "secret": "bench-secret"}]}},
    )
    django.setup()


class Collector:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.latencies: dict[int, list[float]] = {}
        self.done: dict[int, asyncio.Event] = {}

    def start_round(self, seq: int) -> asyncio.Event:
        self.latencies[seq] = []
        self.done[seq] = asyncio.Event()
        return self.done[seq]

    def record(self, payload: dict[str, Any], arrived: float) -> None:
        seq = payload["seq"]
        values = self.latencies.get(seq)
        if values is None:
            return
        values.append(arrived - payload["t0"])
        if len(values) == self.expected:
            self.done[seq].set()


async def reader(ws: Any, collector: Collector, pusher: bool) -> None:
    async for message in ws:
        arrived = time.monotonic()
        payload = json.loads(message)
        if pusher:
            if payload.get("event") != "tick":
                continue
            payload = json.loads(payload["data"])
        collector.record(payload, arrived)


async def run(kind: str, port: int, subscribers: int, rounds: int) -> dict[str, Any]:
    from channels.layers import get_channel_layer

    from forge_suite.realtime import abroadcast

    if kind == "ours":
        sockets = await open_many(subscribers, lambda i: open_pusher(port, "bench"))
    else:
        sockets = await open_many(subscribers, lambda i: open_baseline(port))
        await asyncio.sleep(0.5)  # group_add happens in connect; let it settle
    collector = Collector(subscribers)
    readers = [asyncio.create_task(reader(ws, collector, kind == "ours")) for ws in sockets]
    layer = get_channel_layer("baseline")
    warmup = 3
    lost = 0
    per_round_p99 = []
    all_latencies: list[float] = []
    for seq in range(warmup + rounds):
        done = collector.start_round(seq)
        t0 = time.monotonic()
        payload = {"seq": seq, "t0": t0, "text": "x" * 100}
        if kind == "ours":
            await abroadcast("tick", payload).to_channel("bench")
        else:
            await layer.group_send("bench", {"type": "bench.message", "text": json.dumps(payload)})
        with contextlib.suppress(TimeoutError):  # counted as lost below
            await asyncio.wait_for(done.wait(), timeout=10)
        values = collector.latencies[seq]
        if seq >= warmup:
            lost += subscribers - len(values)
            all_latencies.extend(values)
            per_round_p99.append(percentile(values, 99))
        await asyncio.sleep(0.1)
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    ms = [v * 1000 for v in all_latencies]
    return {
        "p50": percentile(ms, 50),
        "p99": percentile(ms, 99),
        "max": max(ms),
        "median_round_p99": statistics.median(per_round_p99) * 1000,
        "lost": lost,
        "deliveries": len(ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default=default_server())
    args = parser.parse_args()
    if not 1 <= args.subscribers <= 5000 or not 1 <= args.rounds <= 200:
        parser.error("--subscribers must be 1..5000 and --rounds 1..200")
    raise_fd_limit(args.subscribers * 2 + 200)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    prefix = f"forge-bench-{uuid.uuid4().hex[:8]}"
    configure(redis_url, prefix)
    fast_loop()

    results = {}
    for kind, layer, server_prefix in (
        ("ours", "pubsub", f"{prefix}-ours"),
        ("baseline", "core", f"{prefix}-base"),
    ):
        server = BenchServer(layer, server_prefix, redis_url, args.server)
        try:
            results[kind] = asyncio.run(run(kind, server.port, args.subscribers, args.rounds))
        finally:
            server.stop()

    print(
        f"\nFan-out of one broadcast to {args.subscribers} subscribers, {args.rounds} rounds, "
        f"one {args.server} process, channels-redis on loopback Redis"
    )
    print(f"{'':38} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'med p99':>8} {'lost':>6}")
    labels = {
        "ours": "forge_suite.realtime (pub/sub + hub)",
        "baseline": "Channels group_send (RedisChannelLayer)",
    }
    for kind, r in results.items():
        print(
            f"{labels[kind]:38} {r['p50']:8.1f} {r['p99']:8.1f} {r['max']:8.1f} "
            f"{r['median_round_p99']:8.1f} {r['lost']:6d}"
        )
    ours, base = results["ours"], results["baseline"]
    print(
        f"ratio baseline/ours: p50 {base['p50'] / ours['p50']:.2f}x, "
        f"p99 {base['p99'] / ours['p99']:.2f}x"
    )
    print(f"goal p99 < 100 ms for 1,000 subscribers: {'met' if ours['p99'] < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
