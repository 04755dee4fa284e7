"""The public testing helpers: FakeClock, use_store and override_limits."""

from __future__ import annotations

from typing import Any

import pytest

from forge_suite.throttling import Policy, acheck, api, check, get_policy
from forge_suite.throttling.testing import (
    UNLIMITED,
    FakeClock,
    MemoryStore,
    override_limits,
    use_store,
)


@pytest.fixture(autouse=True)
def declared(settings: Any) -> None:
    settings.FORGE = {
        "THROTTLING": {"POLICIES": {"login": {"rate": "2/m"}}, "DYNAMIC_LIMITS": False}
    }


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(100.0)
    assert clock() == 100.0
    for _ in range(10):
        clock.advance(0.1)
    assert clock() == 101.0  # whole microseconds: no float drift
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_use_store_routes_decisions_and_restores_the_previous_store() -> None:
    clock = FakeClock()
    outer, inner = MemoryStore(clock=clock), MemoryStore(clock=clock)
    with use_store(outer):
        with use_store(inner):
            assert api.get_store() is inner
            assert [check("login", "ann").allowed for _ in range(3)] == [True, True, False]
            clock.advance(60)
            assert check("login", "ann").allowed
        assert api.get_store() is outer
        assert check("login", "ann").remaining == 1  # the outer store never saw ann
    assert api.get_store() is not outer


@use_store(MemoryStore())
@override_limits({"login": "5/m", "reports": UNLIMITED})
def test_override_limits_as_a_decorator() -> None:
    assert get_policy("login").limit == 5
    assert all(check(Policy("reports", "1/h"), "k").unlimited for _ in range(3))


async def test_override_limits_applies_to_async_callers() -> None:
    with use_store(MemoryStore()), override_limits({"login": {"rate": "1/m", "mode": "log"}}):
        first, second = await acheck("login", "k"), await acheck("login", "k")
        assert first.allowed
        assert second.limited
        assert not second.blocked  # log mode
    assert get_policy("login").limit == 2  # back to the declared limit


def test_override_limits_rejects_bad_values() -> None:
    with pytest.raises(TypeError, match="UNLIMITED"):
        override_limits({"login": 5})
    with pytest.raises(ValueError, match="unknown field"):
        override_limits({"login": {"limit": 5}})
