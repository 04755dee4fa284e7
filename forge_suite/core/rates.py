"""The one rate syntax of the suite: ``"<count>/<multiplier><unit>"`` (django-ratelimit's).

Every option that takes a rate (throttling policies, realtime's ``client_event_rate``, later
apps) parses it here, so a value ``manage.py check`` accepts in one app works in every other.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Rate", "parse_rate"]

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])?\s*$", re.IGNORECASE)

#: What an accepted rate looks like, for error messages and hints.
RATE_FORMS = "'<count>/<period>' such as '10/s', '60/m', '1000/h' or '5/10s' (units s, m, h, d)"


class Rate(NamedTuple):
    """``limit`` events per ``period`` seconds."""

    limit: int
    period: float


def parse_rate(value: object) -> Rate:
    """Return the :class:`Rate` of ``"60/m"``, ``"5/10s"``, ``"1000/h"``, ``"3/d"`` or ``"4/"``.

    Like django-ratelimit, a missing unit means seconds, units are case-insensitive and a
    ``(count, seconds)`` tuple of integers (or a :class:`Rate`) is accepted as is. Anything
    else raises ``ValueError`` naming the bad value and the accepted forms.
    """
    if isinstance(value, Rate):
        count, seconds = value.limit, value.period
    elif isinstance(value, tuple):
        if len(value) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise ValueError(f"rate tuple must be (count, seconds), got {value!r}")
        count, seconds = value
    elif isinstance(value, str):
        match = _RATE_RE.match(value)
        if not match:
            raise ValueError(f"invalid rate {value!r}: expected {RATE_FORMS}")
        count = int(match.group(1))
        multiplier = int(match.group(2)) if match.group(2) else 1
        seconds = _PERIODS[(match.group(3) or "s").lower()] * multiplier
    else:
        raise ValueError(
            f"rate must be a string like '60/m', got {type(value).__name__} ({value!r})"
        )
    if count <= 0:
        raise ValueError(f"invalid rate {value!r}: the count must be at least 1")
    if seconds <= 0:
        raise ValueError(f"invalid rate {value!r}: the period must be at least 1 second")
    return Rate(int(count), float(seconds))
