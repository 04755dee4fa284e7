"""Idle connections held by one server process and memory per connection.

    python benchmarks/realtime_connections.py [--n 10000]

Opens N WebSocket connections to one server process (uvicorn, or ``--server daphne``) with the
in-memory channel layer and keeps them idle:

- forge_suite.realtime: Pusher protocol clients, each subscribed to one of 100 public channels
  (the process registry holds them; no channel-layer state per socket); like pusher-js they
  answer the server's ``pusher:ping``, or the server closes them after the activity timeout;
- baseline: the Channels tutorial consumer, each socket in a channel-layer group.

Reports the server's resident memory growth per connection, the open rate, and checks that
the connections are still open at the end (none closed; a ping answered on a sample of 100).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
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
    open_pusher,
    raise_fd_limit,
    try_open_many,
)


class PingAnswerer:
    """Answers the server's ``pusher:ping`` like pusher-js does, and notes pongs."""

    def __init__(self) -> None:
        self.pongs: dict[int, asyncio.Event] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def watch(self, ws: Any) -> None:
        self.pongs[id(ws)] = asyncio.Event()
        self.tasks.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws: Any) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                event = json.loads(message).get("event")
                if event == "pusher:ping":
                    await ws.send('{"event":"pusher:pong","data":{}}')
                elif event == "pusher:pong":
                    self.pongs[id(ws)].set()

    async def alive(self, ws: Any) -> bool:
        self.pongs[id(ws)].clear()
        await ws.send('{"event":"pusher:ping","data":{}}')
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.pongs[id(ws)].wait(), 10)
            return True
        return False


async def hold(kind: str, server: BenchServer, n: int) -> dict[str, Any]:
    answerer = PingAnswerer()

    async def open_ours(i: int) -> Any:
        ws = await open_pusher(server.port, f"idle-{i % 100}")
        answerer.watch(ws)
        return ws

    warm = await (open_ours(0) if kind == "ours" else open_baseline(server.port))
    await asyncio.sleep(0.5)
    before = server.rss_bytes()
    started = time.monotonic()
    if kind == "ours":
        sockets, failed = await try_open_many(n, open_ours, concurrency=50)
    else:
        sockets, failed = await try_open_many(
            n, lambda i: open_baseline(server.port), concurrency=50
        )
    opened = time.monotonic() - started
    await asyncio.sleep(2)
    after = server.rss_bytes()

    sample = random.Random(1).sample(sockets, min(100, len(sockets)))
    alive = 0
    for ws in sample:
        if kind == "ours":
            alive += await answerer.alive(ws)
        else:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(await ws.ping(), 10)
                alive += 1
    closed = sum(1 for ws in sockets if ws.state.name != "OPEN")
    await asyncio.gather(*(ws.close() for ws in [warm, *sockets]), return_exceptions=True)
    for task in answerer.tasks:
        task.cancel()
    return {
        "opened": len(sockets),
        "failed": len(failed),
        "opened_per_s": len(sockets) / opened,
        "rss_before": before,
        "rss_after": after,
        "per_conn": (after - before) / max(1, len(sockets)),
        "sample_alive": f"{alive}/{len(sample)}",
        "closed": closed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default=default_server())
    args = parser.parse_args()
    if not 1 <= args.n <= 20_000:
        parser.error("--n must be between 1 and 20000")
    raise_fd_limit(args.n + 500)
    fast_loop()
    prefix = f"forge-bench-{uuid.uuid4().hex[:8]}"
    results = {}
    for kind in ("ours", "baseline"):
        server = BenchServer("memory", prefix, "", args.server)
        try:
            results[kind] = asyncio.run(hold(kind, server, args.n))
            print(f"{kind}: {results[kind]}", flush=True)
        finally:
            server.stop()

    mib = 1024 * 1024
    print(f"\n{args.n} idle connections held by one {args.server} process (in-memory layer)")
    print(
        f"{'':34} {'open':>6} {'failed':>6} {'open/s':>7} {'RSS MiB':>8} {'KiB/conn':>9} "
        f"{'alive':>8} {'closed':>7}"
    )
    labels = {
        "ours": "forge_suite.realtime (subscribed)",
        "baseline": "Channels consumer + group_add",
    }
    for kind, r in results.items():
        print(
            f"{labels[kind]:34} {r['opened']:6d} {r['failed']:6d} {r['opened_per_s']:7.0f} "
            f"{r['rss_after'] / mib:8.1f} {r['per_conn'] / 1024:9.1f} {r['sample_alive']:>8} "
            f"{r['closed']:7d}"
        )
    ours, base = results["ours"], results["baseline"]
    print(f"ratio baseline/ours memory per connection: {base['per_conn'] / ours['per_conn']:.2f}x")
    held = ours["failed"] == 0 and ours["closed"] == 0 and ours["sample_alive"] == "100/100"
    verdict = "met" if held and args.n >= 10_000 else "see above"
    print(f"goal 10,000 connections in one process: {verdict}")


if __name__ == "__main__":
    main()
