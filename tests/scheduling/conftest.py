"""Fixtures of the scheduling tests: real worker processes on a real broker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from forge_suite.celery import app as celery_app
from tests.support.workers import ROOT, Worker, WorkerGroup, manage_py_worker, wait_for

__all__ = ["REDIS_BROKER", "ROOT", "WORKER_SETTINGS", "Worker", "wait_for"]

#: Broker databases reserved for these tests (other suites use other numbers).
REDIS_BROKER = os.environ.get("FORGE_TEST_SCHEDULING_BROKER", "redis://127.0.0.1:6379/3")
WORKER_SETTINGS = "tests.scheduling.worker_settings"


@pytest.fixture
def queue_name() -> str:
    return f"forge-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start ``manage.py worker`` subprocesses on the test database; all killed afterwards."""
    group = WorkerGroup(tmp_path)

    def start(
        broker_url: str,
        queue: str,
        *,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> Worker:
        name = f"w{len(group.workers)}-{uuid.uuid4().hex[:6]}"
        env = {
            "FORGE_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
            "FORGE_WORKER_BROKER_URL": broker_url,
            **(extra_env or {}),
        }
        command = manage_py_worker(queue, concurrency=concurrency, hostname=f"{name}@%h", args=args)
        return group.start(command, settings=WORKER_SETTINGS, env=env, name=name)

    yield start
    group.stop_all()


@pytest.fixture
def redis_worker(
    broker: Callable[[str], None], start_worker: Callable[..., Worker]
) -> Callable[..., Worker]:
    """This process publishes to the Redis broker; ``redis_worker(queue, **options)`` starts a
    ``manage.py worker`` there (the options of ``start_worker``)."""
    broker(REDIS_BROKER)

    def start(queue: str, **options: Any) -> Worker:
        return start_worker(REDIS_BROKER, queue, **options)

    return start


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
