"""The outcome of one rate-limit check."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Decision"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a hit was admitted, and what the caller should tell the client.

    ``limit`` is the policy's capacity (the window count, or the burst for token bucket and
    GCRA), ``remaining`` how many more unit-cost hits would be admitted right now,
    ``reset_after`` seconds until the full capacity is available again, and ``retry_after``
    seconds until this hit would be admitted (None when it was).
    """

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    retry_after: float | None = None
    policy: str = ""
    key: str = ""
    period: float = 0.0
    mode: str = "block"
    #: Store clock time of the decision (seconds since the epoch), None if not known.
    at: float | None = None
    #: Set when the store failed and the failure mode decided instead.
    error: str | None = None
    #: True when no limit applied (unlimited tier, disabled policy, bypass).
    unlimited: bool = False

    @property
    def limited(self) -> bool:
        return not self.allowed

    @property
    def blocked(self) -> bool:
        """Limited and the policy is in block mode (not log-only)."""
        return not self.allowed and self.mode == "block"

    @property
    def retry_after_header(self) -> int | None:
        """``Retry-After`` value: whole seconds, rounded up, at least 1; None when allowed."""
        if self.retry_after is None:
            return None
        return max(1, math.ceil(self.retry_after))

    @property
    def reset_header(self) -> int:
        return max(0, math.ceil(self.reset_after))
