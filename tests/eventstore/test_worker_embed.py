"""Projections and the outbox inside ``manage.py worker``: a real Celery worker keeps the
order summary live, and its warm shutdown stops the loop."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from example_project.orders.models import OrderSummary
from forge_suite.eventstore import embedded
from forge_suite.eventstore.projections import checkpoint_of
from forge_suite.eventstore.store import head
from tests.eventstore.test_projections import make_orders
from tests.scheduling.conftest import REDIS_BROKER
from tests.support.workers import WorkerGroup, manage_py_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PROJECTIONS = ["example_project.orders.projections.OrderSummaryProjector"]


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres  # two processes writing: SQLite would need IMMEDIATE transactions in both
def test_manage_py_worker_keeps_projections_live(tmp_path: Path) -> None:
    group = WorkerGroup(tmp_path)
    env = {
        "FORGE_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
        "FORGE_WORKER_BROKER_URL": REDIS_BROKER,
    }
    make_orders(3)  # before the worker: caught up from the checkpoint
    try:
        worker = group.start(
            manage_py_worker(f"forge-test-{uuid.uuid4().hex[:10]}"),
            settings="tests.eventstore.worker_settings",
            env=env,
        )
        wait_for(lambda: OrderSummary.objects.count() == 3, timeout=30, what="catch-up")
        make_orders(2, start=3)  # after: live
        wait_for(lambda: OrderSummary.objects.count() == 5, timeout=30, what="live events")
        wait_for(lambda: checkpoint_of("order_summary") == head(), what="the checkpoint")
        assert OrderSummary.objects.get(order_id="o4").status == "paid"
    finally:
        group.stop_all()
    # The warm shutdown stopped the loop and the worker exited cleanly.
    assert worker.process.returncode == 0, worker.output()[-3000:]
    assert "Traceback" not in worker.output(), worker.output()[-3000:]


@pytest.mark.parametrize(
    ("settings", "runs"),
    [
        ({}, False),  # nothing to project: the worker stays a plain worker
        ({"PROJECTIONS": PROJECTIONS}, True),
        ({"PROJECTIONS": PROJECTIONS, "RUN_IN_WORKER": False}, False),  # eventstore_worker
        ({"RUN_IN_WORKER": True}, True),  # the outbox alone
    ],
)
def test_the_loop_runs_in_a_worker_when_asked_or_when_there_is_something_to_project(
    settings: dict[str, Any], runs: bool
) -> None:
    make_orders(1)  # before the loop starts: this thread only reads while it runs
    with override_settings(FORGE={"EVENTSTORE": {"POLL_INTERVAL": 0.1, **settings}}):
        try:
            assert embedded.start() is runs
            if runs and settings.get("PROJECTIONS"):
                wait_for(lambda: OrderSummary.objects.count() == 1, what="the projection")
        finally:
            embedded.stop()
    assert not any(t.name == "forge-eventstore" and t.is_alive() for t in _threads())


def _threads() -> list[Any]:
    import threading

    return threading.enumerate()
