"""Launchers for the files tests: moto's S3 server and a WSGI server process.

tests/support/servers.py starts ASGI servers; tus needs a WSGI server that streams request
bodies (chunked ones too) and a process that can be SIGKILLed and restarted on the same port.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["Process", "django_server", "free_port", "moto_server"]


def wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s:\n{log.read_text()[-3000:]}")


class Process:
    """A child process listening on a loopback port, with its output in a log file."""

    def __init__(
        self, args: list[str], port: int, env: dict[str, str] | None = None, name: str = "proc"
    ) -> None:
        self.args, self.port, self.env, self.name = args, port, env, name
        self.log = Path(tempfile.gettempdir()) / f"forge-files-{name}-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        log = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(self.env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            wait_port(self.port, self.proc, self.log)
        except BaseException:  # never leave a server behind
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def moto_server() -> Process:
    port = free_port()
    return Process(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, name="moto"
    )


def django_server(db_name: str, storages: dict[str, Any], files: dict[str, Any]) -> Process:
    """The test project under a threaded WSGI server (werkzeug), which passes chunked bodies
    through as a stream, on the test database."""
    port = free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.files.server_settings",
        "FORGE_FILES_DB_NAME": db_name,
        "FORGE_FILES_STORAGES": json.dumps(storages),
        "FORGE_FILES_SETTINGS": json.dumps(files),
    }
    return Process(
        [sys.executable, "-m", "tests.files.wsgi_server", str(port)], port, env, name="django"
    )
