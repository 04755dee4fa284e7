"""Django-cache store: the embedded default when no Redis is configured.

Fixed windows use the cache's atomic ``add``/``incr`` (exact on any shared cache, like
django-ratelimit). The other algorithms read-modify-write one entry under a short lock taken
with the atomic ``add``; that is exact while a lock holder does not stall longer than
``LOCK_SECONDS``, but contended keys cost several round trips and some waiting per hit.
Use the Redis store for heavy multi-process traffic.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.cache import caches

from forge_suite.throttling.algorithms import STEPS, Outcome
from forge_suite.throttling.exceptions import StoreUnavailable
from forge_suite.throttling.policy import ALGORITHMS, Policy
from forge_suite.throttling.stores.base import Clock, Store, wall_clock_us

__all__ = ["CacheStore"]


class CacheStore(Store):
    supports_top_keys = False
    #: Lifetime of the per-key lock (a crashed holder blocks the key at most this long).
    LOCK_SECONDS = 2
    #: How long a hit waits for the lock before the failure mode decides.
    WAIT_SECONDS = 10.0

    def __init__(
        self,
        alias: str = "default",
        *,
        prefix: str = "forge:throttle:",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(prefix=prefix, clock=clock)
        self.alias = alias

    @property
    def cache(self) -> Any:
        return caches[self.alias]

    def _hit(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        try:
            if policy.algorithm == "fixed_window":
                return self._fixed_window(policy, key, cost)
            return self._locked(policy, key, cost)
        except StoreUnavailable:
            raise
        except Exception as exc:  # any cache backend error: the failure mode decides
            raise StoreUnavailable(f"cache {self.alias!r} failed: {exc}") from exc

    def _fixed_window(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        now = wall_clock_us(self.clock)
        period = policy.period * 1_000_000
        window = now // period
        reset = (window + 1) * period - now
        ckey = f"{self.storage_key(policy, key)}:{window}"
        cache = self.cache
        if cost == 0:
            count = int(cache.get(ckey, 0))
            return Outcome(count <= policy.limit, policy.limit - count, reset, None), now
        timeout = reset / 1_000_000 + 1
        cache.add(ckey, 0, timeout)
        try:
            count = cache.incr(ckey, cost)
        except ValueError:  # expired between add and incr
            cache.add(ckey, 0, timeout)
            count = cache.incr(ckey, cost)
        if count <= policy.limit:
            return Outcome(True, policy.limit - count, reset, None), now
        cache.decr(ckey, cost)  # give back so a smaller later hit can still fit
        return Outcome(False, max(0, policy.limit - count + cost), reset, reset), now

    def _locked(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        cache = self.cache
        skey = self.storage_key(policy, key)
        lock_key = f"{skey}:lock"
        deadline = time.monotonic() + self.WAIT_SECONDS
        attempt = 0
        while not cache.add(lock_key, 1, self.LOCK_SECONDS):
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"could not lock {skey!r} in cache {self.alias!r}")
            # Randomised exponential backoff keeps many waiting clients from starving one.
            time.sleep(random.uniform(0, min(0.02, 0.0005 * 2**attempt)))
            attempt += 1
        locked_at = time.monotonic()
        try:
            now = wall_clock_us(self.clock)
            state = cache.get(skey)
            new_state, outcome, ttl = STEPS[policy.algorithm](
                state, now, policy.limit, policy.period * 1_000_000, policy.capacity, cost
            )
            if new_state is not None:
                cache.set(skey, new_state, max(1.0, ttl / 1_000_000 + 1))
        finally:
            # Still within the lock's lifetime, so it is ours to release; past it, it expired
            # on its own and may belong to another client now.
            if time.monotonic() - locked_at < self.LOCK_SECONDS - 0.1:
                cache.delete(lock_key)
        return outcome, now

    def reset(self, policy: Policy, key: str) -> None:
        now = wall_clock_us(self.clock)
        window = now // (policy.period * 1_000_000)
        keys = [self.storage_key(policy, key, algorithm) for algorithm in ALGORITHMS]
        fixed = self.storage_key(policy, key, "fixed_window")
        keys += [f"{fixed}:{window}", f"{fixed}:{window - 1}"]
        self.cache.delete_many(keys)
