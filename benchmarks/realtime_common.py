"""Shared pieces of the realtime benchmarks: server processes and client connections."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.servers import free_port, server_command

ROOT = Path(__file__).resolve().parent.parent
APP_KEY = "bench-key"


def raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if limit < needed:
        sys.exit(f"ulimit -n is {limit}; this run needs about {needed} (raise it or use --n)")
    return limit


class BenchServer:
    """A uvicorn (default) or daphne process serving benchmarks.realtime_bench_asgi."""

    def __init__(self, layer: str, prefix: str, redis_url: str, server: str = "uvicorn") -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "benchmarks.realtime_bench_settings",
            "BENCH_LAYER": layer,
            "BENCH_PREFIX": prefix,
            "BENCH_REDIS_URL": redis_url,
        }
        log_path = os.environ.get("BENCH_SERVER_LOG")
        self.log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        target = "benchmarks.realtime_bench_asgi:application"
        command = server_command(target, self.port, server)
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("benchmark server did not start")

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


async def open_pusher(port: int, channel: str) -> Any:
    """A raw WebSocket speaking the Pusher protocol, subscribed to ``channel``."""
    from websockets.asyncio.client import connect

    ws = await connect(
        f"ws://127.0.0.1:{port}/app/{APP_KEY}?protocol=7&client=bench&version=1",
        ping_interval=None,
        max_queue=None,
        compression=None,
    )
    hello = json.loads(await ws.recv())
    assert hello["event"] == "pusher:connection_established", hello
    await ws.send(json.dumps({"event": "pusher:subscribe", "data": {"channel": channel}}))
    ok = json.loads(await ws.recv())
    assert ok["event"] == "pusher_internal:subscription_succeeded", ok
    return ws


async def open_baseline(port: int) -> Any:
    from websockets.asyncio.client import connect

    return await connect(
        f"ws://127.0.0.1:{port}/baseline/",
        ping_interval=None,
        max_queue=None,
        compression=None,
        open_timeout=60,
    )


async def open_many(count: int, opener: Any, concurrency: int = 20) -> list[Any]:
    """Open ``count`` connections; raises if any fails (see :func:`try_open_many`)."""
    sockets, failures = await try_open_many(count, opener, concurrency)
    if failures:
        raise RuntimeError(f"{len(failures)} connections failed; first: {failures[0]!r}")
    return sockets


async def try_open_many(
    count: int, opener: Any, concurrency: int = 20
) -> tuple[list[Any], list[BaseException]]:
    """Open ``count`` connections, ``concurrency`` handshakes at a time; (open, failures)."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> Any:
        async with semaphore:
            return await opener(i)

    results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    sockets = [r for r in results if not isinstance(r, BaseException)]
    return sockets, [r for r in results if isinstance(r, BaseException)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def default_server() -> str:
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        return "daphne"
    return "uvicorn"


def fast_loop() -> None:
    """Use uvloop in this (client) process when it is installed."""
    try:
        import uvloop
    except ImportError:
        return
    uvloop.install()
