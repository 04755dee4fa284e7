"""Rate limit of client events per connection.

Uses ``forge_suite.throttling`` when that app is installed and importable; otherwise a small
token bucket kept on the connection (client events never leave the process that received them
before they are checked, so a per-connection bucket is exact).
"""

from __future__ import annotations

import time
from typing import Any

from django.apps import apps

from forge_suite.core.rates import parse_rate as core_parse_rate

__all__ = ["ClientEventLimiter", "TokenBucket", "parse_rate"]


def parse_rate(rate: Any) -> tuple[int, float]:
    """``"10/s"`` -> ``(10, 1.0)`` in the suite's one rate syntax; ValueError names the value."""
    try:
        return core_parse_rate(rate)
    except ValueError as exc:
        raise ValueError(f"client_event_rate {rate!r}: {exc}") from exc


class TokenBucket:
    """Allow ``capacity`` events per ``period`` seconds, refilled continuously."""

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, capacity: int, period: float) -> None:
        self.capacity = float(capacity)
        self.rate = capacity / period
        self.tokens = float(capacity)
        self.updated = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _throttling_module() -> Any:
    if not apps.is_installed("forge_suite.throttling"):
        return None
    try:
        from forge_suite import throttling
    except ImportError:  # pragma: no cover - app installed without its module
        return None
    if not hasattr(throttling, "adecide") or not hasattr(throttling, "Policy"):
        return None
    return throttling


class ClientEventLimiter:
    """Per-connection limiter; ``await limiter.allow()`` before relaying a client event."""

    def __init__(self, app_id: str, socket_id: str, rate: str) -> None:
        self.key = f"{app_id}:{socket_id}"
        self.rate = rate
        self._bucket: TokenBucket | None = None
        self._policy: Any = None
        throttling = _throttling_module()
        if throttling is not None:
            self._policy = throttling.Policy(
                f"forge_realtime.client_events.{app_id}", rate=rate, algorithm="token_bucket"
            )
            self._adecide = throttling.adecide
        else:
            self._bucket = TokenBucket(*parse_rate(rate))

    @property
    def backend(self) -> str:
        return "throttling" if self._policy is not None else "builtin"

    async def allow(self) -> bool:
        if self._bucket is not None:
            return self._bucket.allow()
        # The throttling app's one decision: an admin-edited limit of this policy applies.
        decision = await self._adecide(self._policy, self.key)
        return bool(decision.allowed)
