"""Helpers for testing code that is rate limited: a clock you move by hand, an in-memory
store, and limits overridden for one test.

::

    from forge_suite.throttling.testing import FakeClock, MemoryStore, override_limits, use_store

    def test_login_lockout():
        clock = FakeClock()
        with use_store(MemoryStore(clock=clock)):
            ...  # five failed logins are allowed, the sixth is refused
            clock.advance(60)
            ...  # and a minute later it is allowed again

    @override_limits({"login": "100/m", "search": UNLIMITED})
    def test_bulk_import(): ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.test.utils import TestContextDecorator

from forge_suite.throttling import dynamic, state
from forge_suite.throttling.policy import UNLIMITED
from forge_suite.throttling.stores.base import Store
from forge_suite.throttling.stores.memory import MemoryStore

__all__ = ["UNLIMITED", "FakeClock", "MemoryStore", "override_limits", "use_store"]

#: A fixed start on a boundary of every usual window (minute, hour, day), for readable tests.
EPOCH = 1_800_000_000.0


class FakeClock:
    """Seconds since the epoch that only move when the test says so.

    Pass it to a store (``MemoryStore(clock=clock)``, ``RedisStore(url, clock=clock)``);
    time is kept in whole microseconds so repeated ``advance`` calls add up exactly.
    """

    def __init__(self, start: float = EPOCH) -> None:
        self.now_us = round(start * 1_000_000)

    def __call__(self) -> float:
        return self.now_us / 1_000_000

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (fractions allowed)."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward, not by {seconds!r} seconds")
        self.now_us += round(seconds * 1_000_000)


class use_store(TestContextDecorator):  # lower case, like Django's override_settings
    """Route every decision (``check``, the middleware, ``@ratelimit``, DRF) to ``store``.

    A context manager and a decorator of test functions and classes; the store that was in
    use comes back afterwards.
    """

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.previous: Store | None = None

    def enable(self) -> Store:
        self.previous = state._installed[0] if state._installed else None
        state.set_store(self.store)
        return self.store

    def disable(self) -> None:
        state.set_store(self.previous)


class override_limits(TestContextDecorator):  # lower case, like override_settings
    """Change policies' limits by name for a test, as an admin override would.

    ``limits`` maps a policy name to a rate (``"100/m"``), to :data:`UNLIMITED`, or to a dict
    of the override fields (``{"rate": "5/m", "algorithm": "gcra", "burst": 10,
    "mode": "log"}``). Applies wherever the policy is used, like an admin-edited limit.
    """

    def __init__(self, limits: Mapping[str, Any]) -> None:
        super().__init__()
        self.rows = {name: _row(name, value) for name, value in limits.items()}
        self.saved: dict[str, dict[str, Any]] = {}

    def enable(self) -> None:
        self.saved = dict(dynamic.forced)
        dynamic.forced.update(self.rows)

    def disable(self) -> None:
        dynamic.forced.clear()
        dynamic.forced.update(self.saved)


def _row(name: str, value: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"rate": None, "burst": None, "algorithm": "", "mode": ""}
    if value is UNLIMITED:
        return {**row, "unlimited": True}
    if isinstance(value, str):
        return {**row, "rate": value, "unlimited": False}
    if isinstance(value, Mapping):
        unknown = set(value) - {"rate", "burst", "algorithm", "mode"}
        if unknown:
            raise ValueError(f"override_limits({name!r}): unknown field(s) {sorted(unknown)}")
        return {**row, **value, "unlimited": False}
    raise TypeError(
        f"override_limits({name!r}): expected a rate string, UNLIMITED or a dict, got {value!r}"
    )
