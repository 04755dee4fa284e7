"""In-process store: exact within one process (tests, single-process development)."""

from __future__ import annotations

import threading
from typing import Any

from forge_suite.throttling.algorithms import STEPS, Outcome
from forge_suite.throttling.policy import ALGORITHMS, Policy
from forge_suite.throttling.stores.base import Clock, KeyUsage, Store, wall_clock_us

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
