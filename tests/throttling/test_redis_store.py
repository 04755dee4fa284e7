"""RedisStore under real threads, and the limiter on a Redis that accepts and never answers."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import Any

import pytest

from forge_suite.throttling import Policy, acheck, api, check
from forge_suite.throttling.stores import RedisStore

THREADS = 16


@pytest.mark.redis
def test_first_use_from_many_threads_at_once(redis_url: str, redis_prefix: str) -> None:
    """Every thread's first hit on a fresh store works (no KeyError from half-set-up scripts)."""
    policy = Policy("first-use", "1000000/h", algorithm="sliding_window")
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: widen any race
    try:
        _first_hits(redis_url, redis_prefix, policy)
    finally:
        sys.setswitchinterval(interval)


def hit_at_once(store: RedisStore, policy: Policy, threads: int) -> tuple[list[bool], list[str]]:
    """``threads`` threads released together by a barrier, one hit each."""
    barrier = threading.Barrier(threads)
    errors: list[str] = []
    allowed: list[bool] = []

    def first_hit() -> None:
        barrier.wait()
        try:
            allowed.append(store.hit(policy, "k").allowed)
        except Exception as exc:
            errors.append(repr(exc))

    workers = [threading.Thread(target=first_hit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return allowed, errors


def _first_hits(redis_url: str, redis_prefix: str, policy: Policy) -> None:
    for attempt in range(30):
        store = RedisStore(redis_url, prefix=f"{redis_prefix}{attempt}:")
        allowed, errors = hit_at_once(store, policy, THREADS)
        assert errors == [], f"attempt {attempt}: {errors[0]}"
        assert allowed == [True] * THREADS


class CountingRedisStore(RedisStore):
    """Counts the decisions that reached the store."""

    calls = 0

    def _hit(self, policy: Policy, key: str, cost: int) -> Any:
        self.calls += 1
        return super()._hit(policy, key, cost)

    async def _ahit(self, policy: Policy, key: str, cost: int) -> Any:
        self.calls += 1
        return await super()._ahit(policy, key, cost)


class StepClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hanging(settings: Any, hanging_redis_url: str, use_store: Any) -> CountingRedisStore:
    settings.FORGE = {
        "THROTTLING": {
            "FAILURE_MODE": "closed",
            "DYNAMIC_LIMITS": False,
            "BREAKER_FAILURES": 3,
            "BREAKER_COOLDOWN": 10,
        }
    }
    store: CountingRedisStore = use_store(CountingRedisStore(hanging_redis_url, timeout=0.05))
    return store


def test_hanging_redis_opens_the_breaker_then_the_store_is_not_called(
    hanging: CountingRedisStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = StepClock()
    api.get_breaker().clock = clock
    policy = Policy("hang", "5/m")
    with caplog.at_level(logging.WARNING, logger="forge_suite.throttling"):
        decisions = [check(policy, "k") for _ in range(8)]
    assert [d.allowed for d in decisions] == [False] * 8  # fail closed, never a 500
    assert all(d.error for d in decisions)
    assert "Timeout" in (decisions[0].error or "")
    assert hanging.calls == 3  # the breaker opened after three failures
    assert api.get_breaker().state == "open"
    assert "circuit breaker open" in (decisions[-1].error or "")
    assert caplog.text.count("circuit breaker open for") == 1  # logged once, not per request
    # Half-open after the cooldown: one trial reaches the store, fails, the breaker reopens.
    clock.now += 10
    assert api.get_breaker().state == "half-open"
    check(policy, "k")
    assert hanging.calls == 4
    check(policy, "k")
    assert hanging.calls == 4
    assert api.get_breaker().state == "open"


async def test_hanging_redis_async_fails_open_and_the_breaker_applies(
    hanging: CountingRedisStore, settings: Any
) -> None:
    settings.FORGE = {"THROTTLING": {**settings.FORGE["THROTTLING"], "FAILURE_MODE": "open"}}
    policy = Policy("hang", "5/m")
    decisions = [await acheck(policy, "k") for _ in range(5)]
    assert all(d.allowed and d.error for d in decisions)
    assert hanging.calls == 3


@pytest.mark.redis
def test_trial_success_closes_the_breaker(
    settings: Any, redis_url: str, redis_prefix: str, use_store: Any
) -> None:
    settings.FORGE = {"THROTTLING": {"DYNAMIC_LIMITS": False, "BREAKER_FAILURES": 2}}
    store = use_store(CountingRedisStore(redis_url, prefix=redis_prefix, timeout=1.0))
    breaker = api.get_breaker()
    clock = StepClock()
    breaker.clock = clock
    breaker.failure()
    breaker.failure()
    assert breaker.state == "open"
    assert check(Policy("trial", "5/m"), "k").error is not None
    assert store.calls == 0
    clock.now += 5
    decision = check(Policy("trial", "5/m"), "k")
    assert decision.error is None
    assert (decision.allowed, store.calls, breaker.state) == (True, 1, "closed")


def test_breaker_can_be_turned_off(hanging: CountingRedisStore, settings: Any) -> None:
    settings.FORGE = {"THROTTLING": {**settings.FORGE["THROTTLING"], "BREAKER_FAILURES": 0}}
    for _ in range(5):
        check(Policy("hang", "5/m"), "k")
    assert hanging.calls == 5


def test_the_configured_store_gets_the_limiter_timeout(settings: Any) -> None:
    settings.FORGE = {
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "THROTTLING": {"STORE": "redis", "REDIS_TIMEOUT": 0.02},
    }
    store = api.get_store()
    assert isinstance(store, RedisStore)
    assert store.timeout == 0.02
    pool = store.client.connection_pool
    assert pool.connection_kwargs["socket_timeout"] == 0.02
    settings.FORGE = {
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "THROTTLING": {"STORE": "redis", "REDIS_TIMEOUT": None},
    }
    shared = api.get_store()
    assert isinstance(shared, RedisStore)
    assert shared.timeout is None


@pytest.mark.redis
@pytest.mark.parametrize("timeout", [1.0, None], ids=["own-pool", "shared-client"])
async def test_a_thousand_concurrent_acheck_calls_are_exact(
    settings: Any, redis_url: str, redis_prefix: str, timeout: float | None
) -> None:
    """One event loop, 1,000 calls at once, a limit of 100: exactly 100 admitted, no error.

    Calls beyond the pool's size wait for a connection instead of failing. (The timeout is
    generous here: this tests the pool, and a loop this busy on a loaded machine can miss a
    50 ms reply deadline, which is the breaker's business, tested above.)
    """
    settings.FORGE = {
        "REDIS_URL": redis_url,
        "THROTTLING": {
            "STORE": "redis",
            "KEY_PREFIX": redis_prefix,
            "REDIS_TIMEOUT": timeout,
            "REDIS_CONNECT_TIMEOUT": 5,
            "DYNAMIC_LIMITS": False,
        },
    }
    policy = Policy("crowd", "100/h", algorithm="sliding_log")
    decisions = await asyncio.gather(*(acheck(policy, "everyone") for _ in range(1000)))
    assert [d.error for d in decisions if d.error][:1] == []
    assert sum(d.allowed for d in decisions) == 100


@pytest.mark.redis
def test_a_script_redis_does_not_know_is_loaded_on_the_fly(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a SCRIPT FLUSH or a failover Redis answers NOSCRIPT: EVAL runs and loads it."""
    from forge_suite.throttling.stores import redis as redis_store

    store = RedisStore(redis_url, prefix=redis_prefix)
    unknown = b"$7\r\nEVALSHA\r\n$40\r\n" + b"0" * 40 + b"\r\n"  # a sha Redis never saw
    monkeypatch.setitem(redis_store._EVALSHA, "gcra", unknown)
    policy = Policy("noscript", "2/m")
    assert [store.hit(policy, "k").allowed for _ in range(3)] == [True, True, False]


@pytest.mark.redis
def test_a_connection_closed_by_the_server_is_replaced(
    redis_url: str, redis_prefix: str, redis_client: Any
) -> None:
    """An idle connection the server dropped (restart, timeout) costs one retry, no error."""
    store = RedisStore(redis_url, prefix=redis_prefix)
    policy = Policy("dropped", "5/m")
    assert store.hit(policy, "k").remaining == 4
    connection = store._connection()
    connection.send_command("CLIENT", "ID")
    redis_client.client_kill_filter(_id=connection.read_response())
    decision = store.hit(policy, "k")
    assert (decision.allowed, decision.remaining) == (True, 3)
