"""The five algorithms as pure functions over a small state, in integer microseconds.

The in-process and Django-cache stores run these under a lock; the Redis store runs the Lua
twins in ``lua.py`` (same arithmetic, one atomic script per decision). Every function takes
``(state, now, limit, period, burst, cost)`` and returns ``(new_state, outcome, ttl)``;
``new_state`` is None when nothing must be written (a limited hit or a peek with cost 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["STEPS", "Outcome"]

State = dict[str, Any]


class Outcome(NamedTuple):
    allowed: bool
    remaining: int
    reset_us: int
    retry_us: int | None


Step = Callable[[State | None, int, int, int, int, int], tuple[State | None, Outcome, int]]


def fixed_window(
    state: State | None, now: int, limit: int, period: int, burst: int, cost: int
) -> tuple[State | None, Outcome, int]:
    window = now // period
    count = state["n"] if state and state["w"] == window else 0
    reset = (window + 1) * period - now
    if count + cost <= limit:
        if cost == 0:
            return None, Outcome(True, limit - count, reset, None), reset
        count += cost
        return {"w": window, "n": count}, Outcome(True, limit - count, reset, None), reset
    return None, Outcome(False, limit - count, reset, reset), reset


def sliding_window(
    state: State | None, now: int, limit: int, period: int, burst: int, cost: int
) -> tuple[State | None, Outcome, int]:
    """Counter approximation: the previous window's count weighted by its overlap."""
    window = now // period
    elapsed = now - window * period
    cur = prev = 0
    if state:
        if state["w"] == window:
            cur, prev = state["c"], state["p"]
        elif state["w"] == window - 1:
            prev = state["c"]
    weighted = prev * (period - elapsed)  # in count * microseconds
    capacity = limit * period
    if weighted + (cur + cost) * period <= capacity:
        if cost == 0:
            new_state = None
        else:
            cur += cost
            new_state = {"w": window, "c": cur, "p": prev}
        remaining = (capacity - weighted - cur * period) // period
        reset = _sliding_reset(cur, prev, period, elapsed)
        return new_state, Outcome(True, remaining, reset, None), reset
    available = limit - cost - cur
    if available >= 0:
        retry = period - (available * period) // prev - elapsed
    else:
        later = period - ((limit - cost) * period) // cur
        retry = period - elapsed + max(0, later)
    remaining = max(0, (capacity - weighted - cur * period) // period)
    reset = _sliding_reset(cur, prev, period, elapsed)
    return None, Outcome(False, remaining, reset, max(1, retry)), reset


def _sliding_reset(cur: int, prev: int, period: int, elapsed: int) -> int:
    if cur > 0:
        return 2 * period - elapsed
    if prev > 0:
        return period - elapsed
    return 0


def sliding_log(
    state: State | None, now: int, limit: int, period: int, burst: int, cost: int
) -> tuple[State | None, Outcome, int]:
    """Exact: one timestamp per admitted unit, none older than the period."""
    stamps = [t for t in (state or {}).get("log", []) if t > now - period]
    count = len(stamps)
    if count + cost <= limit:
        if cost:
            stamps.extend([now] * cost)
        reset = stamps[-1] + period - now if stamps else 0
        new_state = {"log": stamps} if cost else None
        return new_state, Outcome(True, limit - len(stamps), reset, None), period
    oldest_needed = stamps[count + cost - limit - 1]
    retry = oldest_needed + period - now
    reset = stamps[-1] + period - now
    return None, Outcome(False, limit - count, reset, retry), period


def token_bucket(
    state: State | None, now: int, limit: int, period: int, burst: int, cost: int
) -> tuple[State | None, Outcome, int]:
    """Levels are kept in token x period units so refills stay integers."""
    full = burst * period
    if state is None:
        level = full
    else:
        elapsed = max(0, now - state["ts"])
        level = full if elapsed >= -(-full // limit) else min(full, state["lv"] + elapsed * limit)
    need = cost * period
    if level >= need:
        level -= need
        reset = -(-(full - level) // limit)
        new_state = {"lv": level, "ts": now} if cost else None
        return new_state, Outcome(True, level // period, reset, None), reset
    reset = -(-(full - level) // limit)
    retry = -(-(need - level) // limit)
    return None, Outcome(False, level // period, reset, retry), reset


def gcra(
    state: State | None, now: int, limit: int, period: int, burst: int, cost: int
) -> tuple[State | None, Outcome, int]:
    """Generic cell rate algorithm: one theoretical arrival time (TAT) per key."""
    interval = period / limit
    tolerance = burst * interval
    tat = max(state["tat"] if state else now, now)
    new_tat = tat + cost * interval
    if new_tat - now <= tolerance + 1:  # 1 us slack absorbs float rounding
        remaining = max(0, math.floor((tolerance - (new_tat - now) + 1) / interval))
        reset = math.ceil(new_tat - now)
        new_state = {"tat": new_tat} if cost else None
        return new_state, Outcome(True, remaining, reset, None), reset
    remaining = max(0, math.floor((tolerance - (tat - now) + 1) / interval))
    retry = math.ceil(new_tat - tolerance - now)
    return None, Outcome(False, remaining, math.ceil(tat - now), max(1, retry)), 0


STEPS: dict[str, Step] = {
    "fixed_window": fixed_window,
    "sliding_window": sliding_window,
    "sliding_log": sliding_log,
    "token_bucket": token_bucket,
    "gcra": gcra,
}
