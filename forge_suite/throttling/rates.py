"""Parsing of django-ratelimit's rate syntax: ``"<count>/<multiplier><unit>"``."""

from __future__ import annotations

import re

from forge_suite.throttling.exceptions import InvalidRate

__all__ = ["parse_rate"]

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])?\s*$", re.IGNORECASE)


def parse_rate(rate: str | tuple[int, int]) -> tuple[int, int]:
    """Return ``(count, period_seconds)`` for ``"60/m"``, ``"5/10s"``, ``"1000/h"``, ``"3/d"``.

    Like django-ratelimit, a missing unit means seconds and a ``(count, seconds)`` tuple is
    accepted as is. Anything else raises :class:`InvalidRate` naming the bad value.
    """
    if isinstance(rate, tuple):
        if len(rate) != 2 or not all(isinstance(v, int) for v in rate):
            raise InvalidRate(f"rate tuple must be (count, seconds), got {rate!r}")
        count, seconds = rate
    else:
        if not isinstance(rate, str):
            raise InvalidRate(f"rate must be a string like '60/m', got {type(rate).__name__}")
        match = _RATE_RE.match(rate)
        if not match:
            raise InvalidRate(
                f"invalid rate {rate!r}: expected '<count>/<period>' such as '60/m', '1000/h' "
                "or '5/10s' (units s, m, h, d)"
            )
        count = int(match.group(1))
        multiplier = int(match.group(2)) if match.group(2) else 1
        seconds = _PERIODS[(match.group(3) or "s").lower()] * multiplier
    if count <= 0:
        raise InvalidRate(f"invalid rate {rate!r}: the count must be at least 1")
    if seconds <= 0:
        raise InvalidRate(f"invalid rate {rate!r}: the period must be at least 1 second")
    return count, seconds
