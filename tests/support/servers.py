"""One launcher for the server processes that tests start: ASGI (daphne or uvicorn), WSGI
(werkzeug's threaded server, which streams request bodies, chunked ones too) or any command.

server = ServerProcess("tests.realtime.asgi:application", env={...})
... server.url, server.port ...
server.kill()        # crash it (no cleanup runs); server.start() relaunches on the same port
server.stop()
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["ROOT", "ServerProcess", "free_port", "wait_port"]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Return once ``port`` accepts connections; raise if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s")


def server_command(target: str, port: int, server: str = "daphne") -> list[str]:
    """The command line serving the ASGI ``target`` on loopback ``port``.

    ``server="wsgi"`` serves the Django project of ``DJANGO_SETTINGS_MODULE`` instead (with
    static files), under werkzeug; ``target`` is then unused.
    """
    if server == "wsgi":
        return [sys.executable, "-m", "tests.support.wsgi_server", str(port)]
    if server == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            os.environ.get("BENCH_UVICORN_WS", "websockets-sansio"),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    if server == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), target]
    raise ValueError(f"unknown server {server!r}: use 'daphne', 'uvicorn' or 'wsgi'")


class ServerProcess:
    """A server process on a free loopback port, its output in a log file.

    ``command`` replaces the server command line (e.g. ``manage.py runserver`` or moto, with
    ``port`` chosen beforehand); ``inherit_env=False`` gives the process ``env`` only.
    """

    def __init__(
        self,
        target: str,
        env: dict[str, str] | None = None,
        *,
        server: str = "daphne",
        command: list[str] | None = None,
        port: int | None = None,
        timeout: float = 30,
        inherit_env: bool = True,
        name: str = "server",
    ) -> None:
        self.port = port or free_port()
        self.name = server if command is None and name == "server" else name
        self.log = Path(tempfile.gettempdir()) / f"forge-test-{self.name}-{self.port}.log"
        base = dict(os.environ) if inherit_env else {}
        self.env = {**base, "PYTHONPATH": str(ROOT), **(env or {})}
        self.command = command or server_command(target, self.port, server)
        self.timeout = timeout
        self.start()

    def start(self) -> None:
        """Launch the process (again, after :meth:`kill`, on the same port) and wait for it."""
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_port(self.port, self.proc, self.timeout)
        except BaseException as exc:  # never leave a server behind
            output = self.output()[-3000:]
            self.stop()
            if isinstance(exc, RuntimeError):
                raise RuntimeError(f"{self.name} failed ({exc}):\n{output}") from None
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        """What the process printed so far."""
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """Terminate (SIGTERM, then SIGKILL after 10 s) and remove the log file."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log_file.close()
        self.log.unlink(missing_ok=True)

    def kill(self) -> None:
        """Crash the process (SIGKILL): nothing is cleaned up; the log stays for :meth:`start`."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._log_file.close()
