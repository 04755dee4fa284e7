"""Each algorithm on each store, with a controllable clock: bursts, steady rates, retry times."""

from __future__ import annotations

import random

import pytest

from forge_suite.throttling import Policy
from forge_suite.throttling.exceptions import CostTooHigh
from forge_suite.throttling.stores import MemoryStore, RedisStore, Store
from tests.throttling.conftest import FakeClock


def admitted(store: Store, policy: Policy, n: int, key: str = "k") -> int:
    return sum(store.hit(policy, key).allowed for _ in range(n))


@pytest.mark.parametrize("algorithm", ["gcra", "token_bucket"])
def test_burst_then_steady_rate(any_store: Store, clock: FakeClock, algorithm: str) -> None:
    policy = Policy("api", "10/s", algorithm=algorithm, burst=30)
    # The whole burst at one instant, and not one more.
    assert admitted(any_store, policy, 40) == 30
    denied = any_store.hit(policy, "k")
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(0.1)
    # Then exactly the steady rate: one every 100 ms, never two.
    for _ in range(50):
        clock.advance(0.1)
        assert any_store.hit(policy, "k").allowed
        assert not any_store.hit(policy, "k").allowed
    # After an idle period the bucket refills up to the burst, not beyond.
    clock.advance(60)
    assert admitted(any_store, policy, 40) == 30


@pytest.mark.parametrize("algorithm", ["gcra", "token_bucket"])
def test_default_burst_is_the_rate_count(any_store: Store, algorithm: str) -> None:
    policy = Policy("api", "5/m", algorithm=algorithm)
    assert policy.capacity == 5
    assert admitted(any_store, policy, 9) == 5


def test_fixed_window_resets_on_the_boundary(any_store: Store, clock: FakeClock) -> None:
    policy = Policy("fw", "5/10s", algorithm="fixed_window")
    assert admitted(any_store, policy, 8) == 5
    clock.advance(9.5)
    limited = any_store.hit(policy, "k")
    assert not limited.allowed
    assert limited.retry_after == pytest.approx(0.5)
    assert limited.reset_after == pytest.approx(0.5)
    clock.advance(0.5)
    assert admitted(any_store, policy, 8) == 5


def test_sliding_log_is_exact(any_store: Store, clock: FakeClock) -> None:
    policy = Policy("log", "3/10s", algorithm="sliding_log")
    for _ in range(3):
        assert any_store.hit(policy, "k").allowed
        clock.advance(2)
    # Hits at 0, 2, 4; now 6: the first expires at 10.
    limited = any_store.hit(policy, "k")
    assert not limited.allowed
    assert limited.retry_after == pytest.approx(4)
    clock.advance(3.999)
    assert not any_store.hit(policy, "k").allowed
    clock.advance(0.001)
    assert any_store.hit(policy, "k").allowed


def test_sliding_window_weights_the_previous_window(any_store: Store, clock: FakeClock) -> None:
    policy = Policy("sw", "10/10s", algorithm="sliding_window")
    assert admitted(any_store, policy, 10) == 10
    # 25% into the next window the previous 10 still weigh 7.5: two more fit.
    clock.advance(12.5)
    assert admitted(any_store, policy, 5) == 2
    limited = any_store.hit(policy, "k")
    # Needs 10*(1-f) + 2 + 1 <= 10  =>  f >= 0.3, i.e. 0.5 s from now.
    assert limited.retry_after == pytest.approx(0.5)
    clock.advance(0.5)
    assert any_store.hit(policy, "k").allowed


@pytest.mark.parametrize(
    "algorithm", ["fixed_window", "sliding_window", "sliding_log", "token_bucket", "gcra"]
)
def test_retry_after_is_sufficient_and_not_early(
    any_store: Store, clock: FakeClock, algorithm: str
) -> None:
    policy = Policy("r", "4/8s", algorithm=algorithm)
    clock.advance(1.3)
    admitted(any_store, policy, 6)
    limited = any_store.hit(policy, "k")
    assert not limited.allowed
    assert limited.retry_after is not None
    assert limited.retry_after > 0
    clock.advance(limited.retry_after - 0.01)
    assert not any_store.hit(policy, "k").allowed
    clock.advance(0.01)
    assert any_store.hit(policy, "k").allowed


@pytest.mark.parametrize(
    "algorithm", ["fixed_window", "sliding_window", "sliding_log", "token_bucket", "gcra"]
)
def test_cost_and_peek(any_store: Store, algorithm: str) -> None:
    policy = Policy("c", "10/m", algorithm=algorithm)
    first = any_store.hit(policy, "k", cost=4)
    assert first.allowed
    assert first.remaining == 6
    assert any_store.peek(policy, "k").remaining == 6  # a peek counts nothing
    assert any_store.hit(policy, "k", cost=6).allowed
    assert not any_store.hit(policy, "k", cost=1).allowed
    with pytest.raises(CostTooHigh, match="exceeds the capacity 10"):
        any_store.hit(policy, "k", cost=11)
    with pytest.raises(ValueError, match="non-negative"):
        any_store.hit(policy, "k", cost=-1)


def test_keys_and_policies_are_independent(any_store: Store) -> None:
    a = Policy("a", "2/m", algorithm="fixed_window")
    b = Policy("b", "2/m", algorithm="fixed_window")
    assert admitted(any_store, a, 5, "x") == 2
    assert admitted(any_store, a, 5, "y") == 2
    assert admitted(any_store, b, 5, "x") == 2


def test_reset_forgets_a_key(any_store: Store) -> None:
    policy = Policy("reset", "2/h", algorithm="gcra")
    assert admitted(any_store, policy, 3) == 2
    any_store.reset(policy, "k")
    assert admitted(any_store, policy, 3) == 2


@pytest.mark.redis
@pytest.mark.parametrize(
    "algorithm", ["fixed_window", "sliding_window", "sliding_log", "token_bucket", "gcra"]
)
def test_lua_scripts_match_the_python_algorithms(
    redis_url: str, redis_prefix: str, algorithm: str
) -> None:
    """Same random traffic, same clock: the Redis scripts decide exactly like the reference."""
    clock = FakeClock(1_800_000_003.25)
    redis_store = RedisStore(redis_url, prefix=redis_prefix, clock=clock)
    memory = MemoryStore(clock=clock)
    policy = Policy("eq", "7/3s", algorithm=algorithm, burst=9 if "gcra" in algorithm else None)
    rng = random.Random(42)
    for _ in range(400):
        clock.advance(rng.choice([0, 0, 0.05, 0.17, 0.4, 1.1, 3.7]))
        cost = rng.choice([1, 1, 1, 2, 3])
        ours, reference = redis_store.hit(policy, "k", cost), memory.hit(policy, "k", cost)
        assert (ours.allowed, ours.remaining, ours.reset_after, ours.retry_after) == (
            reference.allowed,
            reference.remaining,
            reference.reset_after,
            reference.retry_after,
        )


@pytest.mark.redis
def test_redis_store_uses_the_server_clock_by_default(redis_url: str, redis_prefix: str) -> None:
    import redis

    store = RedisStore(redis_url, prefix=redis_prefix)
    decision = store.hit(Policy("t", "5/m"), "k")
    seconds, micros = redis.Redis.from_url(redis_url).time()
    assert decision.at is not None
    assert abs(decision.at - (seconds + micros / 1e6)) < 1.0
