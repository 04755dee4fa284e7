"""Fixtures of the observability tests: settings with the middleware, loopback servers."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from forge_suite.observability.logs import logging_config
from tests.support.sockets import HangingServer

ROOT = Path(__file__).resolve().parents[2]
#: Broker database reserved for this app's worker tests.
BROKER_URL = os.environ.get("FORGE_OBS_TEST_BROKER_URL", "redis://127.0.0.1:6379/5")
MIDDLEWARE = [
    "forge_suite.observability.middleware.RequestIdMiddleware",
    *settings.MIDDLEWARE,
]


@pytest.fixture
def obs_settings() -> Iterator[None]:
    """The test URLs and the request-id middleware, as a project would configure them."""
    with override_settings(ROOT_URLCONF="tests.observability.urls", MIDDLEWARE=MIDDLEWARE):
        yield


def forge(**observability: Any) -> dict[str, Any]:
    """A FORGE setting with the given OBSERVABILITY options."""
    return {"OBSERVABILITY": observability}


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()
    # Checks stuck on the server end once it closes; let them finish before the next test.
    for thread in threading.enumerate():
        if thread.name.startswith("forge-health-"):
            thread.join(timeout=10)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Capture the root logger's records through the JSON handler of ``logging_config``."""
    import logging.config

    stream = io.StringIO()
    config = logging_config(json=True)
    config["handlers"]["forge_stream"]["stream"] = stream
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    saved_loggers = {
        name: (lg.handlers[:], lg.level, lg.propagate)
        for name in ("django", "django.server")
        for lg in [logging.getLogger(name)]
    }
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, (handlers, level, propagate) in saved_loggers.items():
            lg = logging.getLogger(name)
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **extra}
    return env


PYTHON = sys.executable


class Server:
    """The test project served by ``tests.observability.serve`` in a subprocess."""

    def __init__(self, settings_module: str, **env: str) -> None:
        import subprocess

        self.proc = subprocess.Popen(
            [PYTHON, "-m", "tests.observability.serve"],
            cwd=ROOT,
            env=subprocess_env(DJANGO_SETTINGS_MODULE=settings_module, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if not first.startswith("listening "):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {first}{self.proc.stdout.read()}")
        self.base = f"http://127.0.0.1:{int(first.split()[1])}"

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.headers

    def stop(self) -> str:
        """Stop the server and return what it printed after starting."""
        self.proc.terminate()
        try:
            output, _ = self.proc.communicate(timeout=10)
        except Exception:
            self.proc.kill()
            output, _ = self.proc.communicate()
        return output or ""


class SentryStandIn:
    """Receives envelopes on ``/api/<project>/envelope/`` and keeps their decoded items."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.paths: list[str] = []
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    raw = gzip.decompress(raw)
                elif encoding == "br":
                    import brotli

                    raw = brotli.decompress(raw)
                received.paths.append(self.path)
                received.bodies.append(raw.decode("utf-8", "replace"))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def dsn(self) -> str:
        return f"http://forgekey@127.0.0.1:{self.port}/42"

    def events(self) -> list[dict[str, Any]]:
        found = []
        for body in self.bodies:
            for line in body.splitlines():
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if isinstance(item, dict) and "exception" in item:
                    found.append(item)
        return found

    def wait_for_event(self, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.events()
            if events:
                return events[-1]
            time.sleep(0.05)
        raise AssertionError(f"no event reached the stand-in: {self.bodies}")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
