"""Fixtures of the scheduling tests: real worker processes on a real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from forge_suite.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
#: Broker databases reserved for these tests (other suites use other numbers).
REDIS_BROKER = os.environ.get("FORGE_TEST_SCHEDULING_BROKER", "redis://127.0.0.1:6379/3")


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    name: str
    env: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name} did not start:\n{self.output()[-4000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the worker and its pool children."""
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        if sig == signal.SIGKILL:
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)


def wait_for(predicate: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def queue_name() -> str:
    return f"forge-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start ``manage.py worker`` subprocesses on the test database; all killed afterwards."""
    workers: list[Worker] = []

    def start(
        broker_url: str,
        queue: str,
        *,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> Worker:
        name = f"w{len(workers)}-{uuid.uuid4().hex[:6]}"
        log = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.scheduling.worker_settings",
            "FORGE_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
            "FORGE_WORKER_BROKER_URL": broker_url,
            **(extra_env or {}),
        }
        handle = log.open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "worker",
                f"--queues={queue}",
                f"--concurrency={concurrency}",
                f"--hostname={name}@%h",
                "--pool=prefork",
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = Worker(process, log, name, env)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def _reset_pools() -> None:
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Iterator[Callable[[str], None]]:
    """Point this process's Celery app at a real broker (dispatch publishes for real)."""
    conf = celery_app.conf
    keys = ("broker_url", "task_always_eager", "broker_transport_options")
    saved = {key: conf.get(key) for key in keys}

    def use(url: str) -> None:
        conf.broker_url = url
        conf.task_always_eager = False
        conf.broker_transport_options = {}
        _reset_pools()

    yield use
    _reset_pools()
    for key, value in saved.items():
        conf[key] = value
