"""Parsing of django-ratelimit's rate syntax: ``"<count>/<multiplier><unit>"``."""

from __future__ import annotations

from forge_suite.core.rates import parse_rate as core_parse_rate
from forge_suite.throttling.exceptions import InvalidRate

__all__ = ["parse_rate"]


def parse_rate(rate: str | tuple[int, int]) -> tuple[int, int]:
    """Return ``(count, period_seconds)`` for ``"60/m"``, ``"5/10s"``, ``"1000/h"``, ``"3/d"``.

    Like django-ratelimit, a missing unit means seconds and a ``(count, seconds)`` tuple is
    accepted as is. Anything else raises :class:`InvalidRate` naming the bad value.
    """
    try:
        parsed = core_parse_rate(rate)
    except ValueError as exc:
        raise InvalidRate(str(exc)) from exc
    return parsed.limit, int(parsed.period)
