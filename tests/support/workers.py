"""One launcher for real Celery worker processes in tests.

A worker runs in its own session (so a ``kill -9`` reaches the pool children too), writes
its output to a log file the test can read, and is stopped (TERM, then KILL) by
:meth:`WorkerGroup.stop_all`. Either ``manage.py worker`` (:func:`manage_py_worker`) or plain
``celery -A forge_suite.celery worker`` (:func:`celery_worker`) can be started::

    group = WorkerGroup(tmp_path)
    worker = group.start(manage_py_worker(queue="q1"), settings="tests.scheduling.worker_settings")
    worker.wait_for("ready.")
    ...
    group.stop_all()
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ROOT",
    "Worker",
    "WorkerGroup",
    "celery_worker",
    "manage_py_worker",
    "wait_for",
]

#: The repository root (the working directory of every launched process).
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def manage_py_worker(
    queue: str,
    *,
    concurrency: int = 1,
    hostname: str | None = None,
    pool: str = "prefork",
    args: Sequence[str] = (),
) -> list[str]:
    """The command line of ``manage.py worker`` for one queue."""
    command = [
        sys.executable,
        "manage.py",
        "worker",
        f"--queues={queue}",
        f"--concurrency={concurrency}",
        f"--pool={pool}",
    ]
    if hostname:
        command.append(f"--hostname={hostname}")
    return command + list(args)


def celery_worker(
    queue: str,
    *,
    app: str = "forge_suite.celery",
    hostname: str | None = None,
    pool: str = "solo",
    include: Sequence[str] = (),
    args: Sequence[str] = (),
) -> list[str]:
    """The command line of a plain ``celery worker`` for one queue."""
    command = [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queue, f"--pool={pool}"]
    command += ["--loglevel=INFO"]
    if hostname:
        command.append(f"--hostname={hostname}")
    for module in include:
        command.append(f"--include={module}")
    return command + list(args)


@dataclass
class Worker:
    """A launched worker process and its log."""

    process: subprocess.Popen[bytes]
    log: Path
    name: str
    env: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        """Wait until ``needle`` appears in the log (fails early if the process exits)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.output()
            if needle in text:
                return text
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(
            f"{needle!r} not in the log of worker {self.name}:\n{self.output()[-4000:]}"
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait for Celery's `` ready.`` line."""
        self.wait_for(" ready.", timeout)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the worker and its pool children (its whole session)."""
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        if sig == signal.SIGKILL:
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it does not exit within ``timeout``."""
        if self.process.poll() is not None:
            return
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)


class WorkerGroup:
    """Starts workers with logs under ``log_dir`` and stops every one of them at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.workers: list[Worker] = []

    def start(
        self,
        command: Sequence[str],
        *,
        settings: str,
        env: dict[str, str] | None = None,
        name: str | None = None,
        ready: bool = True,
    ) -> Worker:
        """Launch ``command`` with ``DJANGO_SETTINGS_MODULE=settings`` and extra ``env``.

        ``ready`` waits for Celery's ready line before returning.
        """
        name = name or f"w{len(self.workers)}-{uuid.uuid4().hex[:6]}"
        log = self.log_dir / f"{name}.log"
        full_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": settings,
            **(env or {}),
        }
        with log.open("wb") as handle:
            process = subprocess.Popen(
                list(command),
                cwd=ROOT,
                env=full_env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(process, log, name, full_env)
        self.workers.append(worker)
        if ready:
            worker.wait_ready()
        return worker

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()
