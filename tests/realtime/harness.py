"""Test helpers: realtime server processes and real pusher-js / laravel-echo clients in Node."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import ROOT, ServerProcess, free_port, wait_port

__all__ = ["APP", "ROOT", "NodeClients", "Server", "free_port", "require_node", "wait_port"]

JS_DIR = Path(__file__).resolve().parent / "js"

APP = {"id": "4242", "key": "test-key", "secret": "test-secret"}


class Server(ServerProcess):
    """A daphne (or uvicorn) process serving tests.realtime.asgi with ``realtime`` settings."""

    def __init__(
        self, realtime: dict[str, Any], env: dict[str, str] | None = None, server: str = "daphne"
    ) -> None:
        super().__init__(
            "tests.realtime.asgi:application",
            {
                "DJANGO_SETTINGS_MODULE": "tests.realtime.server_settings",
                "FORGE_RT_REALTIME": json.dumps(realtime),
                **(env or {}),
            },
            server=server,
        )


def node_modules_problem() -> str | None:
    if not shutil.which("node"):
        return "Node.js is not installed"
    if not (JS_DIR / "node_modules" / "pusher-js").exists():
        return f"run `npm ci` in {JS_DIR.relative_to(ROOT)} (see .ci/setup.d/realtime.sh)"
    return None


def require_node() -> None:
    from tests.services import services_required

    problem = node_modules_problem()
    if problem is None:
        return
    if services_required():
        pytest.fail(f"required tool missing under CI: {problem}", pytrace=False)
    pytest.skip(problem)


class NodeClients:
    """One Node.js process running real pusher-js / laravel-echo clients."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", "harness.mjs"],
            cwd=JS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.reports: list[dict[str, Any]] = []
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(lambda r: r["type"] == "ready", timeout=15)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self._queue.put(json.loads(line))
            except ValueError:
                self._queue.put({"type": "stdout", "line": line})

    def send(self, **command: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def _drain(self, timeout: float) -> None:
        try:
            self.reports.append(self._queue.get(timeout=timeout))
            while True:
                self.reports.append(self._queue.get_nowait())
        except queue.Empty:
            pass

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10
    ) -> dict[str, Any]:
        """The first report matching ``predicate`` (looking at every report so far)."""
        checked = 0
        deadline = time.monotonic() + timeout
        while True:
            for report in self.reports[checked:]:
                if report.get("type") == "harness_error":
                    raise AssertionError(f"harness error: {report['error']}")
                if predicate(report):
                    return report
            checked = len(self.reports)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no matching report within {timeout}s; got: "
                    + json.dumps(self.reports[-15:], indent=1)
                )
            self._drain(min(remaining, 0.2))

    def settle(self, seconds: float) -> list[dict[str, Any]]:
        """Collect reports for ``seconds`` and return them all."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self._drain(min(remaining, 0.1))
        return self.reports

    def events(self, client: str, event: str, channel: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.reports
            if r.get("id") == client
            and r.get("event") == event
            and (channel is None or r.get("channel") == channel)
        ]

    def event(
        self, client: str, event: str, channel: str | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        return self.wait_for(
            lambda r: (
                r.get("type") == "event"
                and r.get("id") == client
                and r.get("event") == event
                and (channel is None or r.get("channel") == channel)
            ),
            timeout,
        )

    def connect(self, client: str, server: Server, key: str = APP["key"], **extra: Any) -> str:
        options = {"wsHost": "127.0.0.1", "wsPort": server.port, **extra.pop("options", {})}
        self.send(cmd="connect", id=client, key=key, options=options, **extra)
        report = self.wait_for(lambda r: r["type"] == "connected" and r["id"] == client)
        return str(report["socket_id"])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(cmd="exit")
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
