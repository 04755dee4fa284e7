"""Jobs the worker tests dispatch; they report to the test Redis under keys they are given."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings

from forge_suite.scheduling import job


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.TEST_REDIS_URL)


@job(max_retries=2, backoff=1, backoff_max=4, jitter=False)
def flaky(key: str) -> str:
    """Fails while ``<key>:broken`` exists; counts its attempts in ``<key>:attempts``.

    Without jitter the backoff is exact (1 s, then 2 s), so the test can measure it.
    """
    client = _redis()
    client.incr(f"{key}:attempts")
    if client.exists(f"{key}:broken"):
        raise RuntimeError(f"{key} is broken")
    client.rpush(f"{key}:done", "ok")
    return "ok"


@job(max_retries=0)
def record(key: str, value: str) -> str:
    """Append ``value`` to the list ``key``."""
    _redis().rpush(key, value)
    return value


@job(max_retries=0)
def slow(key: str, seconds: float) -> int:
    """Note the start (with pid) in ``key``, sleep, note the end."""
    client = _redis()
    pid = os.getpid()
    client.rpush(key, f"start:{pid}")
    time.sleep(seconds)
    client.rpush(key, f"end:{pid}")
    return pid


@job(max_retries=0)
def hang_first_time(key: str) -> str:
    """The first attempt announces itself and hangs (to be killed); later ones finish."""
    client = _redis()
    if client.incr(f"{key}:runs") == 1:
        client.rpush(f"{key}:events", "hanging")
        time.sleep(120)
    client.rpush(f"{key}:events", "finished")
    return "finished"


@job(max_retries=0)
def noop() -> None:
    """Does nothing: the benchmark's unit of work."""


@job(max_retries=1, backoff=1, jitter=False, timeout=1)
def sleepy(key: str) -> str:
    """Counts its attempts, then sleeps past its 1 s time limit."""
    _redis().incr(f"{key}:attempts")
    time.sleep(5)
    return "woke"


def record_failure(key: str) -> Callable[[Any, BaseException], None]:
    """An ``on_failure`` hook that appends the exception's type name to ``<key>:hook``."""

    def hook(event: Any, exc: BaseException) -> None:
        _redis().rpush(f"{key}:hook", type(exc).__name__)

    return hook
