"""What every store provides: one atomic decision per hit, peeks, resets and top keys."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from forge_suite.throttling.algorithms import Outcome
from forge_suite.throttling.decision import Decision
from forge_suite.throttling.exceptions import CostTooHigh
from forge_suite.throttling.policy import ALGORITHMS, Policy

__all__ = ["Clock", "KeyUsage", "Store"]

#: Seconds since the epoch, as ``time.time`` returns them.
Clock = Callable[[], float]


@dataclass(frozen=True)
class KeyUsage:
    """One key's current use of a policy, for the admin's top keys page."""

    key: str
    used: int
    remaining: int
    limit: int
    reset_after: float


class Store:
    """Base class. Subclasses implement :meth:`_hit`, and may override the async twin."""

    #: Whether :meth:`top_keys` can list keys (a Django cache cannot be enumerated).
    supports_top_keys = True

    def __init__(self, *, prefix: str = "forge:throttle:", clock: Clock | None = None) -> None:
        self.prefix = prefix
        self.clock = clock

    # -- naming -------------------------------------------------------------------------
    def storage_key(self, policy: Policy, key: str, algorithm: str | None = None) -> str:
        return f"{self.prefix}{policy.name}:{algorithm or policy.algorithm}:{self.safe_key(key)}"

    @staticmethod
    def safe_key(key: str) -> str:
        """Long or odd keys (header values, tokens) are hashed so keys stay bounded."""
        if len(key) <= 100 and key.isprintable() and " " not in key:
            return key
        return "h:" + hashlib.sha256(key.encode()).hexdigest()[:32]

    def now_us(self) -> int | None:
        """The caller's clock in microseconds, or None to let the store use its own."""
        return round(self.clock() * 1_000_000) if self.clock else None

    # -- decisions ------------------------------------------------------------------------
    def hit(self, policy: Policy, key: str, cost: int = 1) -> Decision:
        """Count ``cost`` units for ``key`` under ``policy`` atomically; cost 0 only peeks."""
        validate_cost(policy, cost)
        outcome, now = self._hit(policy, key, cost)
        return to_decision(policy, key, outcome, now)

    async def ahit(self, policy: Policy, key: str, cost: int = 1) -> Decision:
        validate_cost(policy, cost)
        outcome, now = await self._ahit(policy, key, cost)
        return to_decision(policy, key, outcome, now)

    def hit_many(self, limits: Sequence[tuple[Policy, str]], cost: int = 1) -> list[Decision]:
        """Count ``cost`` against every ``(policy, key)`` only if all of them admit it.

        Atomic on the Redis store (one script) and the memory store (one lock): when one limit
        is reached nothing is counted, and the admitting limits report their current state.
        This fallback (the Django cache store) hits one after another and stops at the first
        limited one; the limits before it stay counted.
        """
        for policy, _ in limits:
            validate_cost(policy, cost)
        decisions: list[Decision] = []
        for policy, key in limits:
            if decisions and not decisions[-1].allowed:
                decisions.append(self.peek(policy, key))
            else:
                decisions.append(self.hit(policy, key, cost))
        return decisions

    async def ahit_many(
        self, limits: Sequence[tuple[Policy, str]], cost: int = 1
    ) -> list[Decision]:
        return await sync_to_async(self.hit_many, thread_sensitive=False)(limits, cost)

    def peek(self, policy: Policy, key: str) -> Decision:
        return self.hit(policy, key, 0)

    def _hit(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        raise NotImplementedError

    async def _ahit(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        return await sync_to_async(self._hit, thread_sensitive=False)(policy, key, cost)

    def reset(self, policy: Policy, key: str) -> None:
        """Forget ``key``'s counters under ``policy`` (every algorithm)."""
        raise NotImplementedError

    def top_keys(self, policy: Policy, count: int = 20) -> list[KeyUsage]:
        """Keys using most of ``policy`` right now, busiest first."""
        raise NotImplementedError

    def _top(self, policy: Policy, keys: list[str], count: int) -> list[KeyUsage]:
        usages = []
        for key in keys:
            decision = self.peek(policy, key)
            used = decision.limit - decision.remaining
            if used > 0:
                usages.append(
                    KeyUsage(key, used, decision.remaining, decision.limit, decision.reset_after)
                )
        usages.sort(key=lambda u: (-u.used, u.key))
        return usages[:count]

    def algorithms(self) -> tuple[str, ...]:
        return ALGORITHMS


def validate_cost(policy: Policy, cost: int) -> None:
    if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
        raise ValueError(f"cost must be a non-negative integer, got {cost!r}")
    if cost > policy.capacity:
        raise CostTooHigh(
            f"cost {cost} exceeds the capacity {policy.capacity} of policy {policy.name!r}; "
            "it could never be admitted"
        )


def to_decision(policy: Policy, key: str, outcome: Outcome, now_us: int) -> Decision:
    return Decision(
        allowed=outcome.allowed,
        limit=policy.capacity,
        remaining=max(0, int(outcome.remaining)),
        reset_after=max(0, outcome.reset_us) / 1_000_000,
        retry_after=None if outcome.allowed else max(0, outcome.retry_us or 0) / 1_000_000,
        policy=policy.name,
        key=key,
        period=float(policy.period),
        mode=policy.mode,
        at=now_us / 1_000_000,
    )


def wall_clock_us(clock: Clock | None) -> int:
    return round((clock or time.time)() * 1_000_000)
