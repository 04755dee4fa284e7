"""Concurrent writers on PostgreSQL: optimistic concurrency and the gap-free global order."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from forge_suite.eventstore import ConcurrencyError, Position, append, read_all
from forge_suite.eventstore.models import StoredEvent
from forge_suite.eventstore.store import stream_version
from tests.eventstore.events import ItemAdded

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(fn: Callable[[], Any], results: list[Any]) -> threading.Thread:
    """Run ``fn`` in a thread with its own connection; its result or exception goes to results."""

    def run() -> None:
        try:
            results.append(fn())
        except BaseException as exc:
            results.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def read_eventually(count: int, timeout: float = 120.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        events = read_all(Position())
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def test_two_writers_with_the_same_expected_version_one_wins() -> None:
    """Both read version 1 before either commits; the loser gets ConcurrencyError at insert."""
    append("order-1", [ItemAdded("a")])
    both_checked = threading.Barrier(2, timeout=10)
    results: list[Any] = []

    def writer(sku: str) -> Any:
        with transaction.atomic():
            assert stream_version("order-1") == 1
            both_checked.wait()
            recorded = append("order-1", [ItemAdded(sku)], 1)
            time.sleep(0.3)  # hold the transaction so the other writer blocks on the unique key
            return recorded

    threads = [in_thread(lambda s=s: writer(s), results) for s in ("b", "c")]
    for t in threads:
        t.join(20)
    errors = [r for r in results if isinstance(r, ConcurrencyError)]
    wins = [r for r in results if isinstance(r, list)]
    assert len(errors) == 1, results
    assert len(wins) == 1, results
    assert errors[0].expected == 1
    assert errors[0].actual == 2
    assert stream_version("order-1") == 2
    assert StoredEvent.objects.filter(stream_id="order-1").count() == 2


def test_many_writers_racing_for_a_new_stream() -> None:
    start = threading.Barrier(6, timeout=10)
    results: list[Any] = []

    def writer(i: int) -> Any:
        start.wait()
        return append("new-stream", [ItemAdded(str(i))], 0)

    threads = [in_thread(lambda i=i: writer(i), results) for i in range(6)]
    for t in threads:
        t.join(20)
    assert sum(isinstance(r, list) for r in results) == 1, results
    assert sum(isinstance(r, ConcurrencyError) for r in results) == 5
    assert stream_version("new-stream") == 1


def test_a_late_commit_is_not_skipped() -> None:
    """A takes the lower position but commits after B: the reader must deliver both, A first."""
    a_inserted = threading.Event()
    b_committed = threading.Event()
    results: list[Any] = []

    def slow_writer() -> Any:
        with transaction.atomic():
            recorded = append("a", [ItemAdded("late")])
            a_inserted.set()
            assert b_committed.wait(10)
            time.sleep(0.2)
        return recorded

    thread = in_thread(slow_writer, results)
    assert a_inserted.wait(10)
    fast = append("b", [ItemAdded("early")])
    b_committed.set()
    assert fast[0].position > 0
    # B is committed, but A is still running: the reader must not hand B out yet (a reader
    # paging by position would, and would then never see A).
    seen = read_all(Position())
    assert seen == []
    thread.join(20)
    late = results[0]
    assert late[0].position < fast[0].position
    # Other sessions on the server may hold the xmin horizon back for a while: wait, then
    # both arrive, the late one first.
    assert [e.event_id for e in read_eventually(2)] == [late[0].event_id, fast[0].event_id]


def test_gap_free_reading_under_eight_concurrent_writers() -> None:
    """8 writers with random transaction lengths; a catch-up reader sees each event once."""
    duration = 4.0
    stop = threading.Event()
    results: list[Any] = []
    seen: list[uuid.UUID] = []

    def writer(n: int) -> int:
        rng = random.Random(n)
        count = 0
        while not stop.is_set():
            with transaction.atomic():
                recorded = append(f"w{n}-{count % 5}", [ItemAdded(str(count))] * rng.randint(1, 3))
                time.sleep(rng.random() * 0.02)  # commits land out of position order
            count += len(recorded)
        return count

    target: list[int] = []

    def reader() -> int:
        # An empty read does not mean caught up: a transaction anywhere on the server (another
        # test run, a long replay) holds the xmin horizon back and delays, never skips. So the
        # reader stops once it has as many events as were written, or at a deadline.
        position = Position()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if target and len(seen) >= target[0]:
                break
            batch = read_all(position, limit=500)
            seen.extend(e.event_id for e in batch)
            if batch:
                position = Position(batch[-1].transaction_id, batch[-1].position)
            else:
                time.sleep(0.01)
        # One more read: anything beyond the written total would be a duplicate.
        seen.extend(e.event_id for e in read_all(position, limit=500))
        return len(seen)

    threads = [in_thread(lambda n=n: writer(n), results) for n in range(8)]
    reader_results: list[Any] = []
    reader_thread = in_thread(reader, reader_results)
    time.sleep(duration)
    stop.set()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    target.append(StoredEvent.objects.count())
    reader_thread.join(320)
    assert not [r for r in results + reader_results if isinstance(r, BaseException)]
    written = sum(results)
    stored = list(StoredEvent.objects.values_list("event_id", flat=True))
    assert written == len(stored) > 100
    assert len(seen) == len(set(seen)), "an event was delivered twice"
    assert set(seen) == set(stored), f"{len(set(stored) - set(seen))} events skipped"
