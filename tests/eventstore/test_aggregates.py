"""Aggregates: replay, save with the expected version, snapshots."""

from __future__ import annotations

import pytest

from forge_suite.eventstore import ConcurrencyError, Repository, read_stream
from forge_suite.eventstore.exceptions import AggregateNotFound
from forge_suite.eventstore.handlers import handles
from forge_suite.eventstore.models import Snapshot
from tests.eventstore.events import Cart, ItemAdded

pytestmark = pytest.mark.django_db


def test_save_then_load_by_replay() -> None:
    repo = Repository(Cart)
    cart = Cart("c1")
    cart.add("apple", 2)
    cart.add("pear")
    recorded = repo.save(cart)
    assert [e.version for e in recorded] == [1, 2]
    assert cart.pending_events == []
    loaded = repo.load("c1")
    assert loaded.items == {"apple": 2, "pear": 1}
    assert loaded.version == 2
    assert [e.stream_id for e in read_stream("cart-c1")] == ["cart-c1", "cart-c1"]
    assert repo.load("c1", version=1).items == {"apple": 2}
    assert repo.save(loaded) == []


def test_load_of_a_missing_aggregate() -> None:
    with pytest.raises(AggregateNotFound, match="cart-nope"):
        Repository(Cart).load("nope")


def test_stale_aggregate_save_raises_concurrency_error() -> None:
    repo = Repository(Cart)
    cart = Cart("c1")
    cart.add("apple")
    repo.save(cart)
    first, second = repo.load("c1"), repo.load("c1")
    first.add("pear")
    repo.save(first)
    second.add("plum")
    with pytest.raises(ConcurrencyError) as info:
        repo.save(second)
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert repo.load("c1").items == {"apple": 1, "pear": 1}
    new = Cart("c1")
    new.add("kiwi")
    with pytest.raises(ConcurrencyError, match="expected no stream"):
        repo.save(new)


def test_snapshots_every_n_events_and_load_replays_only_the_tail() -> None:
    repo = Repository(Cart)
    cart = Cart("c1")
    for sku in "abcd":
        cart.add(sku)
    repo.save(cart)  # 0 -> 4 crosses 3
    cart.add("e")
    repo.save(cart)  # 4 -> 5: no snapshot
    cart.remove("a")
    repo.save(cart)  # 5 -> 6 crosses 6
    assert list(Snapshot.objects.values_list("version", flat=True)) == [6, 4]
    snap = Snapshot.objects.get(version=6)
    assert snap.state == {"id": "c1", "items": {"b": 1, "c": 1, "d": 1, "e": 1}}
    # The snapshot, not the replay, provides the state: doctor it and see it come back.
    Snapshot.objects.filter(version=6).update(state={"id": "c1", "items": {"from-snapshot": 1}})
    cart.add("f")
    repo.save(cart)
    loaded = repo.load("c1")
    assert loaded.items == {"from-snapshot": 1, "f": 1}
    assert loaded.version == 7


def test_handlers_are_inherited_and_overridable() -> None:
    class LoudCart(Cart):
        @handles(ItemAdded)
        def _added(self, event: ItemAdded) -> None:
            self.items[event.sku.upper()] = event.quantity

    assert LoudCart._handlers["test.ItemAdded"] == "_added"
    cart = LoudCart("x")
    cart.add("a", 3)
    assert cart.items == {"A": 3}
    with pytest.raises(TypeError, match="Event subclasses or type names"):
        handles(int)  # type: ignore[arg-type]
