"""Acceptance: 32 concurrent clients in 4 processes hammering one key on the real Redis."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from tests.throttling import hammer

PROCESSES = 4
THREADS = 8  # 32 clients in all
ALGORITHMS = ["fixed_window", "sliding_window", "sliding_log", "token_bucket", "gcra"]

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def hammer_redis(
    url: str,
    prefix: str,
    policy: dict[str, Any],
    *,
    fixed_now: float | None = None,
    hits_per_thread: int = 0,
    seconds: float = 0.0,
    store_kind: str = "redis",
) -> tuple[list[float], int]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        ready, start = manager.Queue(), manager.Event()
        with ProcessPoolExecutor(PROCESSES, mp_context=ctx) as pool:
            futures = [
                pool.submit(
                    hammer.run,
                    url,
                    prefix,
                    policy,
                    THREADS,
                    fixed_now,
                    hits_per_thread,
                    seconds,
                    ready,
                    start,
                    store_kind,
                )
                for _ in range(PROCESSES)
            ]
            for _ in range(PROCESSES):  # every process connected: start all clients at once
                ready.get(timeout=120)
            start.set()
            admitted: list[float] = []
            total = 0
            for future in futures:
                got, count = future.result(timeout=120)
                admitted.extend(got)
                total += count
    return sorted(admitted), total


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_exactly_the_limit_at_one_instant(
    redis_url: str, redis_prefix: str, algorithm: str
) -> None:
    """320 hits at one instant of the store clock: every algorithm admits exactly 100."""
    policy = {"name": "hot", "rate": "100/m", "algorithm": algorithm}
    admitted, total = hammer_redis(
        redis_url, redis_prefix, policy, fixed_now=1_800_000_000.0, hits_per_thread=10
    )
    assert total == PROCESSES * THREADS * 10
    assert len(admitted) == 100


def _us(admitted: list[float]) -> list[int]:
    return sorted(round(at * 1_000_000) for at in admitted)


RUN_SECONDS = 3.2
PERIOD_US = 1_000_000


def test_fixed_window_admits_exactly_the_limit_per_window(
    redis_url: str, redis_prefix: str
) -> None:
    """Real Redis clock, 100/s for 3.2 s: every complete window has exactly 100."""
    policy = {"name": "hot", "rate": "100/s", "algorithm": "fixed_window"}
    admitted, total = hammer_redis(redis_url, redis_prefix, policy, seconds=RUN_SECONDS)
    stamps = _us(admitted)
    per_window = Counter(t // PERIOD_US for t in stamps)
    windows = sorted(per_window)
    assert total > 10 * len(admitted)  # the clients really pushed past the limit
    assert max(per_window.values()) <= 100
    complete = windows[1:-1]
    assert len(complete) >= 2
    assert all(per_window[w] == 100 for w in complete), per_window


def test_sliding_log_never_exceeds_the_limit_in_any_period(
    redis_url: str, redis_prefix: str
) -> None:
    policy = {"name": "hot", "rate": "100/s", "algorithm": "sliding_log"}
    admitted, total = hammer_redis(redis_url, redis_prefix, policy, seconds=RUN_SECONDS)
    stamps = _us(admitted)
    assert total > 10 * len(stamps)
    assert len(stamps) >= 300
    # Any 101 consecutive admissions span at least one full period.
    assert all(stamps[i + 100] - stamps[i] >= PERIOD_US for i in range(len(stamps) - 100))


def test_sliding_window_stays_within_its_bound(redis_url: str, redis_prefix: str) -> None:
    """The counter approximation: at most the limit per fixed window, < 2x in any period."""
    policy = {"name": "hot", "rate": "100/s", "algorithm": "sliding_window"}
    admitted, total = hammer_redis(redis_url, redis_prefix, policy, seconds=RUN_SECONDS)
    stamps = _us(admitted)
    assert total > 10 * len(stamps)
    assert len(stamps) >= 200
    assert max(Counter(t // PERIOD_US for t in stamps).values()) <= 100
    assert all(stamps[i + 199] - stamps[i] >= PERIOD_US for i in range(len(stamps) - 199))


@pytest.mark.parametrize("algorithm", ["token_bucket", "gcra"])
def test_bucket_algorithms_never_exceed_burst_plus_rate(
    redis_url: str, redis_prefix: str, algorithm: str
) -> None:
    """In any interval d, at most burst + d * rate admissions (rate 100/s, burst 100)."""
    policy = {"name": "hot", "rate": "100/s", "algorithm": algorithm, "burst": 100}
    admitted, total = hammer_redis(redis_url, redis_prefix, policy, seconds=RUN_SECONDS)
    stamps = _us(admitted)
    assert total > 10 * len(stamps)
    assert len(stamps) >= 300
    rate_per_us = 100 / PERIOD_US
    for i in range(len(stamps)):
        for j in range(i + 100, len(stamps)):
            allowed_at_most = 100 + (stamps[j] - stamps[i] + 1) * rate_per_us
            assert j - i + 1 <= allowed_at_most + 1e-9, (i, j, stamps[j] - stamps[i])


@pytest.mark.parametrize("algorithm", ["fixed_window", "gcra"])
def test_django_cache_store_is_exact_on_a_shared_cache(
    redis_url: str, redis_prefix: str, algorithm: str
) -> None:
    """The embedded store on a cache all processes share: add/incr (fixed window) and the
    add-based lock (other algorithms) admit exactly 100 of 320 simultaneous hits."""
    policy = {"name": "hot", "rate": "100/m", "algorithm": algorithm}
    admitted, total = hammer_redis(
        redis_url,
        redis_prefix,
        policy,
        fixed_now=1_800_000_000.0,
        hits_per_thread=10,
        store_kind="cache",
    )
    assert total == PROCESSES * THREADS * 10
    assert len(admitted) == 100
