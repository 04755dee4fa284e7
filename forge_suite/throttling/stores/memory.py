"""In-process store: exact within one process (tests, single-process development)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from forge_suite.throttling.algorithms import STEPS, Outcome
from forge_suite.throttling.decision import Decision
from forge_suite.throttling.policy import ALGORITHMS, Policy
from forge_suite.throttling.stores.base import (
    Clock,
    KeyUsage,
    Store,
    to_decision,
    validate_cost,
    wall_clock_us,
)

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    def __init__(self, *, prefix: str = "forge:throttle:", clock: Clock | None = None) -> None:
        super().__init__(prefix=prefix, clock=clock)
        self._data: dict[str, tuple[dict[str, Any], int]] = {}
        self._lock = threading.Lock()

    def _hit(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        now = wall_clock_us(self.clock)
        skey = self.storage_key(policy, key)
        step = STEPS[policy.algorithm]
        with self._lock:
            entry = self._data.get(skey)
            state = entry[0] if entry and entry[1] > now else None
            new_state, outcome, ttl = step(
                state, now, policy.limit, policy.period * 1_000_000, policy.capacity, cost
            )
            if new_state is not None:
                self._data[skey] = (new_state, now + max(1, ttl))
        return outcome, now

    def hit_many(self, limits: Sequence[tuple[Policy, str]], cost: int = 1) -> list[Decision]:
        """All or nothing under the store's lock (see :meth:`Store.hit_many`)."""
        for policy, _ in limits:
            validate_cost(policy, cost)
        now = wall_clock_us(self.clock)
        with self._lock:
            evaluated = [self._step(policy, key, now, cost) for policy, key in limits]
            admitted = all(outcome.allowed for _, _, outcome, _ in evaluated)
            decisions = []
            for (policy, key), (skey, new_state, outcome, ttl) in zip(
                limits, evaluated, strict=True
            ):
                if admitted and new_state is not None:
                    self._data[skey] = (new_state, now + max(1, ttl))
                elif not admitted and outcome.allowed:
                    outcome = self._step(policy, key, now, 0)[2]
                decisions.append(to_decision(policy, key, outcome, now))
        return decisions

    async def ahit_many(
        self, limits: Sequence[tuple[Policy, str]], cost: int = 1
    ) -> list[Decision]:
        return self.hit_many(limits, cost)

    def _step(
        self, policy: Policy, key: str, now: int, cost: int
    ) -> tuple[str, dict[str, Any] | None, Outcome, int]:
        skey = self.storage_key(policy, key)
        entry = self._data.get(skey)
        state = entry[0] if entry and entry[1] > now else None
        new_state, outcome, ttl = STEPS[policy.algorithm](
            state, now, policy.limit, policy.period * 1_000_000, policy.capacity, cost
        )
        return skey, new_state, outcome, ttl

    async def _ahit(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        return self._hit(policy, key, cost)  # no I/O: a lock held for microseconds

    def reset(self, policy: Policy, key: str) -> None:
        with self._lock:
            for algorithm in ALGORITHMS:
                self._data.pop(self.storage_key(policy, key, algorithm), None)

    def top_keys(self, policy: Policy, count: int = 20) -> list[KeyUsage]:
        head = f"{self.prefix}{policy.name}:{policy.algorithm}:"
        with self._lock:
            keys = [k[len(head) :] for k in self._data if k.startswith(head)]
        return self._top(policy, keys, count)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
