"""A circuit breaker in front of the store: stop waiting on a Redis that keeps failing.

After ``failures`` consecutive store failures the breaker opens: decisions skip the store and
``FAILURE_MODE`` answers at once (no timeout paid per request). After ``cooldown`` seconds one
decision is let through as a trial (half-open): its success closes the breaker, its failure
opens it again for another cooldown. ``failures=0`` turns the breaker off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from forge_suite.throttling.exceptions import StoreUnavailable

__all__ = ["CircuitBreaker"]

logger = logging.getLogger("forge_suite.throttling")


class CircuitBreaker:
    """Thread-safe; the closed (healthy) path reads one attribute and takes no lock."""

    def __init__(
        self,
        failures: int = 5,
        cooldown: float = 5.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = failures
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        #: Monotonic time the breaker opened, None while closed.
        self.opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half-open"`` (a trial is allowed or running)."""
        if self.opened_at is None:
            return "closed"
        if self._trial or self.clock() - self.opened_at >= self.cooldown:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """Whether this decision may call the store."""
        if self.opened_at is None:
            return True
        with self._lock:
            if self.opened_at is None:
                return True
            if self._trial or self.clock() - self.opened_at < self.cooldown:
                return False
            self._trial = True  # exactly one caller probes the store
            return True

    def success(self) -> None:
        if self.failures or self.opened_at is not None:
            with self._lock:
                if self.opened_at is not None:
                    logger.warning("throttling store answers again; circuit breaker closed")
                self.failures = 0
                self.opened_at = None
                self._trial = False

    def failure(self) -> None:
        if self.threshold <= 0:
            return
        with self._lock:
            self.failures += 1
            if self._trial or (self.opened_at is None and self.failures >= self.threshold):
                if self.opened_at is None:
                    logger.warning(
                        "throttling store failed %d times in a row; circuit breaker open for "
                        "%.1f s (FAILURE_MODE applies without calling the store)",
                        self.failures,
                        self.cooldown,
                    )
                self.opened_at = self.clock()
                self._trial = False

    def open_error(self) -> StoreUnavailable:
        """The error reported in decisions made while the breaker is open."""
        return StoreUnavailable(
            f"circuit breaker open after {self.failures} consecutive store failures; "
            f"the store is tried again {self.cooldown:g} s after the last failure"
        )
