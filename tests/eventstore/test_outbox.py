"""Listeners (sync, after commit, queued) and the transactional outbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from forge_suite.eventstore import dispatch, listener, once
from forge_suite.eventstore.listeners import forget_listener
from forge_suite.eventstore.models import OutboxMessage, ProcessedMessage
from forge_suite.eventstore.outbox import backoff_delay, claim, process_outbox, redeliver, retry
from tests.eventstore import listeners as L
from tests.eventstore.listeners import OrderPaid

pytestmark = pytest.mark.django_db

NO_KICK = {"EVENTSTORE": {"DISPATCH_ON_COMMIT": False, "OUTBOX_BACKOFF": 10.0}}


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    L.CALLS.clear()
    L.FAILURES_LEFT["count"] = 0
    yield
    for fn in (L.record_call, L.flaky):
        forget_listener(fn)


def test_sync_listener_runs_inside_dispatch() -> None:
    listener(OrderPaid)(L.record_call)
    envelope = dispatch(OrderPaid("o1"))
    assert [("o1", envelope.event_id)] == L.CALLS
    assert envelope.metadata["correlation_id"] == str(envelope.event_id)
    assert OutboxMessage.objects.count() == 0


def test_after_commit_listener_waits_for_the_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    listener(OrderPaid, mode="after_commit")(L.record_call)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        dispatch(OrderPaid("o1"))
        assert L.CALLS == []
    assert [c[0] for c in L.CALLS] == ["o1"]


def test_queued_listener_writes_the_outbox_and_is_delivered_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    listener(OrderPaid, mode="queued")(L.record_call)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        envelope = dispatch(OrderPaid("o1", 5))
        message = OutboxMessage.objects.get()
        assert message.status == "pending"
        assert message.event_id == envelope.event_id
        assert message.target == "tests.eventstore.listeners.record_call"
        assert L.CALLS == []
    assert [("o1", envelope.event_id)] == L.CALLS
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("done", 1)


def test_rolled_back_dispatch_leaves_no_message() -> None:
    listener(OrderPaid, mode="queued")(L.record_call)

    def change() -> None:
        with transaction.atomic():
            dispatch(OrderPaid("o1"))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change()
    assert OutboxMessage.objects.count() == 0


@override_settings(FORGE=NO_KICK)
def test_failures_back_off_then_dead_letter_then_retry_from_admin() -> None:
    listener(OrderPaid, mode="queued", max_attempts=3)(L.flaky)
    L.FAILURES_LEFT["count"] = 10
    dispatch(OrderPaid("o1"))
    message = OutboxMessage.objects.get()
    waits = []
    for attempt in (1, 2):
        before = timezone.now()
        assert process_outbox().retried == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("pending", attempt)
        assert "receiver down" in message.last_error
        waits.append((message.available_at - before).total_seconds())
        assert process_outbox().claimed == 0  # not due yet
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    assert 5 <= waits[0] <= 10.5
    assert 10 <= waits[1] <= 20.5
    assert process_outbox().dead == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", 3)
    assert process_outbox().claimed == 0
    L.FAILURES_LEFT["count"] = 0
    assert retry(OutboxMessage.objects.filter(status="dead")) == 1
    assert process_outbox().delivered == 1
    assert L.CALLS == [("o1", 1)]
    message.refresh_from_db()
    assert message.status == "done"
    assert retry([message.pk]) == 0  # done messages are not retried; redeliver sends them again
    assert redeliver([message.pk]) == 1
    assert process_outbox().delivered == 1


@override_settings(FORGE={"EVENTSTORE": {"OUTBOX_BACKOFF": 4.0, "OUTBOX_BACKOFF_MAX": 20.0}})
def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    for attempt, full in [(1, 4), (2, 8), (3, 16), (4, 20), (9, 20)]:
        delays = [backoff_delay(attempt) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1


def test_once_marks_an_event_id_per_handler() -> None:
    listener(OrderPaid)(L.record_call)
    env = dispatch(OrderPaid("o1"))
    assert once("h", env.event_id) is True
    assert once("h", env.event_id) is False
    assert once("other", env.event_id) is True
    assert ProcessedMessage.objects.count() == 2


@override_settings(FORGE=NO_KICK)
def test_an_expired_lease_is_claimed_again() -> None:
    listener(OrderPaid, mode="queued")(L.record_call)
    dispatch(OrderPaid("o1"))
    first = claim()
    assert len(first) == 1
    assert claim() == []  # leased
    OutboxMessage.objects.update(available_at=timezone.now() - timedelta(seconds=1))
    again = claim()
    assert [m.pk for m in again] == [first[0].pk]
    assert again[0].attempts == 2


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="listener mode must be one of"):
        listener(OrderPaid, mode="later")  # type: ignore[arg-type]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(FORGE=NO_KICK)
def test_concurrent_dispatchers_claim_disjoint_messages() -> None:
    listener(OrderPaid, mode="queued")(L.record_call)
    for i in range(60):
        dispatch(OrderPaid(f"o{i}"))
    start = threading.Barrier(3, timeout=10)
    claimed: list[list[int]] = []

    def dispatcher() -> None:
        try:
            start.wait()
            claimed.append([m.pk for m in claim(limit=25)])
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    ids = [pk for batch in claimed for pk in batch]
    assert len(ids) == len(set(ids)) == 60


def test_failed_listener_deliveries_are_counted_as_retried_then_dead() -> None:
    from prometheus_client import REGISTRY

    def failures(outcome: str) -> float:
        labels = {"kind": "listener", "outcome": outcome}
        return REGISTRY.get_sample_value("forge_eventstore_delivery_failures_total", labels) or 0.0

    retried, dead = failures("retried"), failures("dead")
    listener(OrderPaid, mode="queued", max_attempts=2)(L.flaky)
    L.FAILURES_LEFT["count"] = 10
    dispatch(OrderPaid("o1"))
    assert process_outbox().retried == 1
    assert (failures("retried"), failures("dead")) == (retried + 1, dead)
    OutboxMessage.objects.update(available_at=timezone.now())
    assert process_outbox().dead == 1
    assert (failures("retried"), failures("dead")) == (retried + 1, dead + 1)
