"""The public API other apps use: Policy, check/acheck, Decision, registration, metrics."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from forge_suite.core.rates import parse_rate as core_parse_rate
from forge_suite.throttling import (
    ALGORITHMS,
    Decision,
    Policy,
    acheck,
    check,
    parse_rate,
    register,
)
from forge_suite.throttling.exceptions import InvalidPolicy, InvalidRate, UnknownPolicy
from forge_suite.throttling.stores import MemoryStore, RedisStore


@pytest.mark.parametrize("rate", ["10/s", "60/m", "5/10s", "3/d", "4/", (9, 30)])
def test_parse_rate_gives_cores_rate_as_a_tuple(rate: Any) -> None:
    # The forms themselves are tested once, in tests/core/test_rates.py.
    parsed = core_parse_rate(rate)
    assert parse_rate(rate) == (parsed.limit, int(parsed.period))


@pytest.mark.parametrize("rate", ["", "ten/m", "10/w", "0/m", "10/0s", "-1/m", "10 per m"])
def test_parse_rate_rejects_bad_rates_naming_them(rate: str) -> None:
    with pytest.raises(InvalidRate, match="rate"):
        parse_rate(rate)


def test_policy_validation_names_the_problem() -> None:
    with pytest.raises(InvalidPolicy, match="unknown algorithm 'leaky'"):
        Policy("p", "5/m", algorithm="leaky")
    with pytest.raises(InvalidPolicy, match="policy 'p': invalid rate 'x'"):
        Policy("p", "x")
    with pytest.raises(InvalidPolicy, match="unknown key 'cookie:sid'"):
        Policy("p", "5/m", key="cookie:sid")
    with pytest.raises(InvalidPolicy, match="burst must be a positive integer"):
        Policy("p", "5/m", burst=0)
    with pytest.raises(InvalidPolicy, match="mode must be"):
        Policy("p", "5/m", mode="warn")
    with pytest.raises(InvalidPolicy, match="policy name"):
        Policy("bad name", "5/m")
    with pytest.raises(InvalidPolicy, match="unknown option"):
        Policy.from_dict("p", {"rate": "5/m", "limit": 5})
    assert isinstance(InvalidPolicy("x"), ValueError)


def test_policy_contract() -> None:
    policy = Policy("chat.message", "5/10s", algorithm="token_bucket", burst=8, key="user")
    assert (policy.limit, policy.period, policy.capacity) == (5, 10, 8)
    assert Policy("w", "5/10s", algorithm="fixed_window", burst=8).capacity == 5
    assert Policy("u", None).unlimited
    assert set(ALGORITHMS) == {
        "fixed_window",
        "sliding_window",
        "sliding_log",
        "token_bucket",
        "gcra",
    }


def test_check_by_declared_name_and_registered_policy(
    settings: Any, memory_store: MemoryStore
) -> None:
    settings.FORGE = {
        "THROTTLING": {"POLICIES": {"login": {"rate": "2/m"}}, "DYNAMIC_LIMITS": False}
    }
    results = [check("login", "alice") for _ in range(3)]
    assert [d.allowed for d in results] == [True, True, False]
    first = results[0]
    assert isinstance(first, Decision)
    assert (first.limit, first.remaining, first.policy, first.key) == (2, 1, "login", "alice")
    assert first.retry_after is None
    assert results[2].retry_after is not None
    assert results[2].retry_after > 0
    register(Policy("jobs.import", "1/h", algorithm="fixed_window", key="global"))
    assert check("jobs.import", "global").allowed
    assert not check("jobs.import", "global").allowed


def test_unknown_policy_lists_the_declared_ones(settings: Any, memory_store: MemoryStore) -> None:
    settings.FORGE = {"THROTTLING": {"POLICIES": {"login": {"rate": "2/m"}}}}
    with pytest.raises(
        UnknownPolicy, match=r"unknown throttling policy 'nope' \(declared: .*login"
    ):
        check("nope", "k")


def test_invalid_declared_policy_is_a_configuration_error(
    settings: Any, memory_store: MemoryStore
) -> None:
    settings.FORGE = {"THROTTLING": {"POLICIES": {"login": {"rate": "2/fortnight"}}}}
    with pytest.raises(ImproperlyConfigured, match="policy 'login': invalid rate"):
        check("login", "k")


def test_disabled_throttling_always_allows(settings: Any, memory_store: MemoryStore) -> None:
    settings.FORGE = {"THROTTLING": {"ENABLED": False}}
    decisions = [check(Policy("p", "1/h"), "k") for _ in range(3)]
    assert all(d.allowed and d.unlimited for d in decisions)


def test_decisions_are_counted_in_the_metrics(memory_store: MemoryStore) -> None:
    from prometheus_client import REGISTRY

    def value(outcome: str) -> float:
        labels = {"policy": "metered", "outcome": outcome}
        return REGISTRY.get_sample_value("forge_throttle_decisions_total", labels) or 0.0

    before = value("allowed"), value("limited")
    for _ in range(3):
        check(Policy("metered", "2/m"), "k")
    assert (value("allowed"), value("limited")) == (before[0] + 2, before[1] + 1)


async def test_acheck_on_memory(memory_store: MemoryStore) -> None:
    policy = Policy("chat", "2/s", algorithm="gcra")
    results = [await acheck(policy, "user:1") for _ in range(3)]
    assert [d.allowed for d in results] == [True, True, False]


@pytest.mark.redis
async def test_acheck_on_redis_shares_state_with_check(
    redis_url: str, redis_prefix: str, use_store: Any
) -> None:
    use_store(RedisStore(redis_url, prefix=redis_prefix))
    policy = Policy("chat", "3/m", algorithm="sliding_log")
    assert (await acheck(policy, "u", cost=2)).remaining == 1
    assert check(policy, "u").remaining == 0
    assert not (await acheck(policy, "u")).allowed


def test_default_store_follows_the_settings(settings: Any) -> None:
    from forge_suite.throttling import get_store
    from forge_suite.throttling.stores import CacheStore

    settings.FORGE = {}
    assert isinstance(get_store(), CacheStore)
    settings.FORGE = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    assert isinstance(get_store(), RedisStore)
    settings.FORGE = {"THROTTLING": {"STORE": "memory"}}
    assert isinstance(get_store(), MemoryStore)
    settings.FORGE = {"THROTTLING": {"STORE": "redis"}}
    with pytest.raises(ImproperlyConfigured, match="no Redis URL"):
        get_store()
    settings.FORGE = {"THROTTLING": {"STORE": "nowhere"}}
    with pytest.raises(ImproperlyConfigured, match="nowhere"):
        get_store()
