"""Projections: catch-up with checkpoints, exactly-once effect, live updates, replay and swap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings

from example_project.orders.domain import Order, orders
from example_project.orders.models import CustomerTotal, OrderSummary
from example_project.orders.projections import OrderSummaryProjector
from forge_suite.eventstore import NewEvent, Projector, RecordedEvent, append, handles
from forge_suite.eventstore.exceptions import ProjectionError
from forge_suite.eventstore.models import OutboxMessage, ProjectionCheckpoint
from forge_suite.eventstore.projections import catch_up, checkpoint_of
from forge_suite.eventstore.replay import replay
from forge_suite.eventstore.store import head
from forge_suite.eventstore.testing import wait_until_readable
from forge_suite.eventstore.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def make_orders(count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        order = Order.place(f"o{i}", f"customer{i % 3}", 100 + i)
        orders.save(order)
        if i % 2 == 0:
            order.pay(100 + i)
        elif i % 5 == 0:
            order.cancel("changed mind")
        orders.save(order)
    wait_until_readable()


def tables() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    summaries = list(
        OrderSummary.objects.order_by("order_id").values_list(
            "order_id",
            "customer",
            "status",
            "total_cents",
            "currency",
            "placed_at",
            "paid_at",
            "last_position",
        )
    )
    totals = list(CustomerTotal.objects.order_by("customer").values_list())
    return summaries, totals


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_catch_up_applies_each_event_once_and_keeps_a_checkpoint() -> None:
    make_orders(6)
    projector = OrderSummaryProjector()
    assert catch_up(projector) == 6 + 3 + 1
    assert catch_up(projector) == 0
    assert checkpoint_of("order_summary") == head()
    assert dict(OrderSummary.objects.values_list("order_id", "status")) == {
        "o0": "paid",
        "o1": "placed",
        "o2": "paid",
        "o3": "placed",
        "o4": "paid",
        "o5": "cancelled",
    }
    assert CustomerTotal.objects.get(customer="customer0").revenue_cents == 100
    assert CustomerTotal.objects.get(customer="customer1").revenue_cents == 104 + 0
    make_orders(1, start=6)
    assert catch_up(projector) == 2
    assert OrderSummary.objects.get(order_id="o6").status == "paid"


class Exploding(Projector):
    name = "exploding"
    models = (OrderSummary,)

    @handles("orders.OrderPlaced")
    def placed(self, event: RecordedEvent) -> None:
        OrderSummaryProjector().placed(event)
        if event.data["order_id"] == "o1":
            raise RuntimeError("boom")


def test_a_failing_batch_rolls_back_with_its_checkpoint() -> None:
    make_orders(2)
    with pytest.raises(
        ProjectionError, match=r"'exploding' failed on event \d+ \(orders.OrderPlaced\): boom"
    ):
        catch_up(Exploding())
    assert OrderSummary.objects.count() == 0  # o0's row rolled back with the batch
    row = ProjectionCheckpoint.objects.get(name="exploding")
    assert (row.position, row.events_processed) == (0, 0)
    assert "boom" in row.last_error


def test_replayed_projection_equals_the_live_one() -> None:
    make_orders(12)
    catch_up(OrderSummaryProjector())
    live = tables()
    assert len(live[0]) == 12
    outbox_before = OutboxMessage.objects.count()
    assert outbox_before > 0  # the observer queued webhooks for paid orders
    # Damage the live table: the rebuild must not depend on it.
    OrderSummary.objects.filter(order_id="o3").delete()
    call_command("eventstore_replay", "order_summary", verbosity=0)
    assert tables() == live
    assert checkpoint_of("order_summary") == head()
    assert OutboxMessage.objects.count() == outbox_before  # observers stay silent in a replay
    # The swapped-in table is the live one from now on.
    make_orders(1, start=12)
    assert catch_up(OrderSummaryProjector()) == 2
    assert OrderSummary.objects.count() == 13
    table = OrderSummary._meta.db_table
    names = connection.introspection.table_names()
    assert table in names
    assert not [n for n in names if n.startswith(f"{table}__")]
    assert "demo_orders_status_idx" in connection.introspection.get_constraints(
        connection.cursor(), table
    )


def test_replay_from_a_position_and_bad_names() -> None:
    make_orders(4)
    third = head()
    make_orders(2, start=4)
    call_command(
        "eventstore_replay", "order_summary", "--from", str(third.position + 1), verbosity=0
    )
    assert sorted(OrderSummary.objects.values_list("order_id", flat=True)) == ["o4", "o5"]
    with pytest.raises(CommandError, match="unknown projection 'nope'"):
        call_command("eventstore_replay", "nope")
    with pytest.raises(CommandError, match="--from must be 0 or more"):
        call_command("eventstore_replay", "order_summary", "--from", "-1")


@override_settings(FORGE={"EVENTSTORE": {"POLL_INTERVAL": 120.0}})
def test_live_projection_follows_new_events() -> None:
    """With a 2-minute poll, only the NOTIFY wake-up (PostgreSQL) or the first round explains it."""
    stop = threading.Event()
    rounds: list[int] = []
    worker = threading.Thread(
        target=lambda: (
            run_worker([OrderSummaryProjector()], stop=stop, on_round=lambda s: rounds.append(1)),
            connection.close(),
        )
    )
    if connection.vendor != "postgresql":
        make_orders(1)
    worker.start()
    try:
        assert wait_until(lambda: len(rounds) >= 1)
        if connection.vendor == "postgresql":
            make_orders(1)
            append("unrelated", [NewEvent("x.Other", {})])
        assert wait_until(
            lambda: OrderSummary.objects.filter(order_id="o0", status="paid").exists()
        )
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()


@pytest.mark.postgres
def test_replay_waits_for_events_a_long_transaction_keeps_unreadable() -> None:
    make_orders(2)
    holding = threading.Event()

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                append("elsewhere", [NewEvent("x.Other", {})])  # takes a transaction id
                holding.set()
                time.sleep(1.5)
        finally:
            connection.close()

    thread = threading.Thread(target=long_transaction)
    thread.start()
    assert holding.wait(10)
    order = Order.place("late", "ann", 100)
    orders.save(order)  # committed, but not readable until the long transaction ends
    assert replay(OrderSummaryProjector) >= 3
    thread.join(10)
    assert sorted(OrderSummary.objects.values_list("order_id", flat=True)) == ["late", "o0", "o1"]


class SmallBatches(OrderSummaryProjector):
    name = "small_batches"
    batch_size = 2


def test_projection_lag_gauge_follows_the_checkpoint() -> None:
    from prometheus_client import REGISTRY

    def lag() -> float | None:
        return REGISTRY.get_sample_value(
            "forge_eventstore_projection_lag", {"projection": "small_batches"}
        )

    make_orders(3)  # 3 placed + 2 paid events
    projector = SmallBatches()
    assert catch_up(projector, max_events=2) == 2
    behind = head().position - checkpoint_of("small_batches").position
    assert behind > 0
    assert lag() == behind
    assert catch_up(projector) == 3
    assert lag() == 0
