"""Several limits in one decision (per user and global at once): all or nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from forge_suite.throttling import Policy, acheck_all, check, check_all
from forge_suite.throttling.stores import MemoryStore, RedisStore, Store
from tests.throttling.conftest import FakeClock

ALGORITHMS = ["fixed_window", "sliding_window", "sliding_log", "token_bucket", "gcra"]


@pytest.fixture(params=["memory", "redis"])
def atomic_store(request: pytest.FixtureRequest, clock: FakeClock, use_store: Any) -> Store:
    if request.param == "memory":
        return use_store(MemoryStore(clock=clock))  # type: ignore[no-any-return]
    request.applymarker(pytest.mark.redis)
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return use_store(RedisStore(url, prefix=prefix, clock=clock))  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def no_overrides(settings: Any) -> None:
    settings.FORGE = {"THROTTLING": {"DYNAMIC_LIMITS": False}}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_per_user_and_global_limits_together(atomic_store: Store, algorithm: str) -> None:
    per_user = Policy("per-user", "2/m", algorithm=algorithm)
    overall = Policy("global", "3/m", algorithm=algorithm)

    def hit(user: str) -> bool:
        decisions = check_all([(per_user, user), (overall, "all")])
        assert [d.policy for d in decisions] == ["per-user", "global"]
        return all(d.allowed for d in decisions)

    assert [hit("alice"), hit("alice"), hit("alice")] == [True, True, False]
    # Alice's refused hit did not use the global budget: Bob still gets the third slot.
    assert [hit("bob"), hit("bob")] == [True, False]
    # Bob's refused hit (global full) did not use his own budget either.
    assert check(per_user, "bob").remaining == 0  # his second slot taken now, by this check
    decisions = check_all([(per_user, "carol"), (overall, "all")])
    assert [d.allowed for d in decisions] == [True, False]
    assert decisions[0].remaining == 2  # nothing counted for carol
    assert decisions[1].retry_after is not None


@pytest.mark.redis
def test_one_round_trip_on_redis(
    redis_url: str, redis_prefix: str, clock: FakeClock, use_store: Any
) -> None:
    store = use_store(RedisStore(redis_url, prefix=redis_prefix, clock=clock))
    check_all([(Policy("warm", "5/m"), "k")])  # connected, script loaded
    sent: list[Any] = []
    connection = store._connection()  # this thread's connection to Redis
    original = connection.send_packed_command

    def counting(command: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(command)
        return original(command, *args, **kwargs)

    connection.send_packed_command = counting
    try:
        decisions = check_all(
            [(Policy(f"p{i}", "5/m", algorithm=a), "k") for i, a in enumerate(ALGORITHMS)]
        )
    finally:
        connection.send_packed_command = original
    assert [d.allowed for d in decisions] == [True] * 5
    assert [d.remaining for d in decisions] == [4] * 5
    assert len(sent) == 1  # one command, one round trip
    assert b"EVALSHA" in b"".join(sent[0])


def test_unlimited_policies_and_disabled_throttling(atomic_store: Store, settings: Any) -> None:
    decisions = check_all([(Policy("free", None), "k"), (Policy("paid", "1/m"), "k")])
    assert decisions[0].unlimited
    assert decisions[1].allowed
    assert not check_all([(Policy("paid", "1/m"), "k")])[0].allowed
    settings.FORGE = {"THROTTLING": {"ENABLED": False}}
    assert all(d.unlimited for d in check_all([(Policy("paid", "1/m"), "k")]))


@pytest.mark.redis
async def test_concurrent_multi_limit_calls_are_exact(
    redis_url: str, redis_prefix: str, use_store: Any
) -> None:
    use_store(RedisStore(redis_url, prefix=redis_prefix, timeout=1.0, connect_timeout=5.0))
    overall = Policy("global", "50/h", algorithm="sliding_log")
    per_user = [Policy("user", "10/h", algorithm="gcra")]

    async def hit(i: int) -> bool:
        decisions = await acheck_all([(per_user[0], f"u{i % 8}"), (overall, "all")])
        return all(d.allowed for d in decisions)

    results = await asyncio.gather(*(hit(i) for i in range(200)))
    # 8 users x 10 = 80 would pass the per-user limits; the global limit caps at exactly 50.
    assert sum(results) == 50


def test_cache_store_fallback_stops_at_the_first_limited(settings: Any, use_store: Any) -> None:
    from django.core.cache import caches

    from forge_suite.throttling.stores import CacheStore

    caches["default"].clear()
    use_store(CacheStore("default", prefix="multi:"))
    first, second = Policy("a", "1/m"), Policy("b", "5/m")
    assert [d.allowed for d in check_all([(first, "k"), (second, "k")])] == [True, True]
    assert [d.allowed for d in check_all([(first, "k"), (second, "k")])] == [False, True]
    assert check(second, "k").remaining == 3  # the refused call only peeked at "b"


def test_open_breaker_answers_several_limits_without_the_store(
    settings: Any, use_store: Any
) -> None:
    from forge_suite.throttling import api

    class Counting(MemoryStore):
        calls = 0

        def hit_many(self, limits: Any, cost: int = 1) -> Any:
            self.calls += 1
            return super().hit_many(limits, cost)

    settings.FORGE = {"THROTTLING": {"DYNAMIC_LIMITS": False, "FAILURE_MODE": "closed"}}
    store = use_store(Counting())
    breaker = api.get_breaker()
    for _ in range(breaker.threshold):
        breaker.failure()
    decisions = check_all([(Policy("a", "5/m"), "k"), (Policy("b", "5/m"), "k")])
    assert [d.allowed for d in decisions] == [False, False]  # fail closed, at once
    assert all("circuit breaker open" in (d.error or "") for d in decisions)
    assert store.calls == 0
