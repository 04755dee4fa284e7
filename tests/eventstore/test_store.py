"""Append, optimistic concurrency, reads and immutability of the event store."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from forge_suite.eventstore import (
    ANY,
    NO_STREAM,
    ConcurrencyError,
    NewEvent,
    Position,
    append,
    event_context,
    read_all,
    read_stream,
)
from forge_suite.eventstore.exceptions import EventStoreError, ImmutableEventError, UpcastError
from forge_suite.eventstore.models import StoredEvent
from forge_suite.eventstore.store import head, iter_all, stream_version
from forge_suite.eventstore.testing import wait_until_readable
from tests.eventstore.events import ItemAdded, ItemRemoved, PriceSet

pytestmark = pytest.mark.django_db


def test_append_and_read_stream_in_version_order() -> None:
    recorded = append("cart-1", [ItemAdded("a", 2), ItemRemoved("a")], NO_STREAM)
    assert [e.version for e in recorded] == [1, 2]
    assert recorded[0].position < recorded[1].position
    events = read_stream("cart-1")
    assert [(e.version, e.type, e.data) for e in events] == [
        (1, "test.ItemAdded", {"sku": "a", "quantity": 2}),
        (2, "test.ItemRemoved", {"sku": "a"}),
    ]
    assert events[0].event == ItemAdded("a", 2)
    assert events[0].event_id == recorded[0].event_id
    assert events[0].recorded_at.tzinfo is not None


def test_expected_version_exact_no_stream_and_any() -> None:
    append("s", [ItemAdded("a")], NO_STREAM)
    with pytest.raises(
        ConcurrencyError, match="is at version 1, but the append expected no stream"
    ):
        append("s", [ItemAdded("b")], NO_STREAM)
    with pytest.raises(ConcurrencyError) as info:
        append("s", [ItemAdded("b")], 0)
    assert (info.value.expected, info.value.actual) == (0, 1)
    with pytest.raises(ConcurrencyError):
        append("s", [ItemAdded("b")], 2)
    append("s", [ItemAdded("b")], 1)
    append("s", [ItemAdded("c"), ItemAdded("d")], ANY)
    assert stream_version("s") == 4
    with pytest.raises(ConcurrencyError, match="does not exist"):
        append("missing", [ItemAdded("x")], 3)
    assert stream_version("missing") == 0


def test_failed_append_inside_a_transaction_keeps_the_outer_work() -> None:
    append("s", [ItemAdded("a")])
    with transaction.atomic():
        append("other", [ItemAdded("x")])
        with pytest.raises(ConcurrencyError):
            append("s", [ItemAdded("b")], NO_STREAM)
    assert stream_version("other") == 1


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(EventStoreError, match="expected_version must be 0 or more"):
        append("s", [ItemAdded("a")], -1)
    with pytest.raises(EventStoreError, match="stream_id"):
        append("", [ItemAdded("a")])
    with pytest.raises(TypeError, match="Event or NewEvent"):
        append("s", [{"type": "x"}])  # type: ignore[list-item]
    assert append("s", []) == []


def test_metadata_carries_correlation_causation_and_extra() -> None:
    first = append("s", [ItemAdded("a")])[0]
    assert first.metadata["correlation_id"] == str(first.event_id)
    assert first.metadata["causation_id"] is None
    with event_context(correlation_id="corr-1", causation_id=str(first.event_id), tenant="t1"):
        second = append("s", [NewEvent("test.ItemRemoved", {"sku": "a"})], metadata={"by": "me"})[0]
    stored = read_stream("s")[1]
    assert stored.metadata == second.metadata
    assert stored.metadata["correlation_id"] == "corr-1"
    assert stored.metadata["causation_id"] == str(first.event_id)
    assert stored.metadata["tenant"] == "t1"
    assert stored.metadata["by"] == "me"
    assert "request_id" in stored.metadata


@pytest.mark.django_db(transaction=True)
def test_read_all_pages_through_the_global_order() -> None:
    # Committed appends: on PostgreSQL a global-order reader sees finished transactions only.
    for i in range(7):
        append(f"s{i % 3}", [ItemAdded(str(i))])
    wait_until_readable()
    page = read_all(Position(), limit=3)
    assert [e.data["sku"] for e in page] == ["0", "1", "2"]
    rest = read_all(Position(page[-1].transaction_id, page[-1].position), limit=100)
    assert [e.data["sku"] for e in rest] == ["3", "4", "5", "6"]
    assert [e.data["sku"] for e in iter_all(batch=2)] == [str(i) for i in range(7)]
    assert head() == Position(rest[-1].transaction_id, rest[-1].position)
    assert [e.data["sku"] for e in read_all(types=["test.ItemRemoved"])] == []


@pytest.mark.postgres
def test_global_order_hides_a_running_transaction_and_everything_after_it() -> None:
    """The test's own open transaction is below xmin: readers wait for it (no late skip)."""
    append("s", [ItemAdded("a")])
    assert read_all() == []
    assert head() == Position()


def test_upcaster_reads_v1_as_v2() -> None:
    append("p", [NewEvent("test.PriceSet", {"price": 12.5}, schema_version=1)])
    append("p", [PriceSet(999, "USD")])
    first, second = read_stream("p")
    assert (first.schema_version, first.data) == (2, {"amount_cents": 1250, "currency": "EUR"})
    assert first.event == PriceSet(1250, "EUR")
    assert second.event == PriceSet(999, "USD")
    raw = StoredEvent.objects.filter(stream_id="p").order_by("version").first()
    assert raw is not None
    assert raw.schema_version == 1
    assert raw.data == {"price": 12.5}


def test_an_unknown_old_version_without_upcaster_is_a_clear_error() -> None:
    append("p", [NewEvent("test.PriceSet", {"price": 1}, schema_version=0)])
    with pytest.raises(UpcastError, match=r"no upcaster is registered for v0"):
        read_stream("p")


def test_orm_refuses_update_and_delete() -> None:
    append("s", [ItemAdded("a")])
    row = StoredEvent.objects.get()
    row.type = "changed"
    with pytest.raises(ImmutableEventError):
        row.save()
    with pytest.raises(ImmutableEventError):
        row.delete()
    with pytest.raises(ImmutableEventError):
        StoredEvent.objects.filter(stream_id="s").update(type="x")
    with pytest.raises(ImmutableEventError):
        StoredEvent.objects.all().delete()
    assert StoredEvent.objects.get().type == "test.ItemAdded"


@pytest.mark.postgres
def test_postgres_trigger_refuses_raw_update_and_delete() -> None:
    append("s", [ItemAdded("a")])
    table = StoredEvent._meta.db_table
    for sql in (f"UPDATE {table} SET type = 'x'", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert StoredEvent.objects.get().type == "test.ItemAdded"


@pytest.mark.django_db(transaction=True)
def test_json_and_time_are_decoded_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replay through a projector that never reads an event's data pays nothing for it."""
    import datetime as dt
    import json

    from forge_suite.eventstore import events as events_module

    with event_context(correlation_id="c-1"):
        for i in range(3):
            append(f"lazy{i}", [ItemAdded(str(i))])
    wait_until_readable()
    decoded: list[str] = []
    original = json.loads

    def loads(text: str) -> object:
        decoded.append(text)
        return original(text)

    monkeypatch.setattr(events_module.json, "loads", loads)
    page = read_all(Position(), limit=10)
    assert [e.type for e in page] == ["test.ItemAdded"] * 3
    assert decoded == []  # nothing decoded by reading alone
    assert [e.data["sku"] for e in page] == ["0", "1", "2"]
    assert len(decoded) == 3
    assert page[0].data is page[0].data  # decoded once, then kept
    assert page[0].metadata["correlation_id"] == "c-1"
    at = page[0].recorded_at
    assert at.tzinfo is not None
    assert abs(dt.datetime.now(dt.UTC) - at) < dt.timedelta(minutes=5)
