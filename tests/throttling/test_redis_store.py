"""RedisStore under real threads and on a Redis that accepts connections and never answers."""

from __future__ import annotations

import sys
import threading

import pytest

from forge_suite.throttling import Policy
from forge_suite.throttling.stores import RedisStore

THREADS = 16


@pytest.mark.redis
def test_first_use_from_many_threads_at_once(redis_url: str, redis_prefix: str) -> None:
    """Every thread's first hit on a fresh store works (no KeyError from half-set-up scripts)."""
    policy = Policy("first-use", "1000000/h", algorithm="sliding_window")
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: widen any race
    try:
        _first_hits(redis_url, redis_prefix, policy)
    finally:
        sys.setswitchinterval(interval)


def hit_at_once(store: RedisStore, policy: Policy, threads: int) -> tuple[list[bool], list[str]]:
    """``threads`` threads released together by a barrier, one hit each."""
    barrier = threading.Barrier(threads)
    errors: list[str] = []
    allowed: list[bool] = []

    def first_hit() -> None:
        barrier.wait()
        try:
            allowed.append(store.hit(policy, "k").allowed)
        except Exception as exc:
            errors.append(repr(exc))

    workers = [threading.Thread(target=first_hit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return allowed, errors


def _first_hits(redis_url: str, redis_prefix: str, policy: Policy) -> None:
    for attempt in range(30):
        store = RedisStore(redis_url, prefix=f"{redis_prefix}{attempt}:")
        allowed, errors = hit_at_once(store, policy, THREADS)
        assert errors == [], f"attempt {attempt}: {errors[0]}"
        assert allowed == [True] * THREADS
