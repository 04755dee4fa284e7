"""Reachability of the real services the tests use, and the rule for when one is missing.

Locally a test that needs an unreachable service is skipped with the reason printed.
Under ``CI=true`` or ``FORGE_REQUIRE_SERVICES=1`` it fails instead: CI must never count a
skipped service test as a pass.
"""

from __future__ import annotations

import functools
import os
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings


def services_required() -> bool:
    def truthy(name: str) -> bool:
        return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}

    return truthy("CI") or truthy("FORGE_REQUIRE_SERVICES")


@functools.cache
def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> str | None:
    """None if something accepts on host:port, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{host}:{port} not reachable ({exc})"


@functools.cache
def redis_problem() -> str | None:
    import redis

    url = settings.TEST_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} not reachable ({exc})"
    return None


@functools.cache
def rabbitmq_problem() -> str | None:
    parts = urlsplit(settings.TEST_AMQP_URL)
    return tcp_reachable(parts.hostname or "127.0.0.1", parts.port or 5672)


@functools.cache
def browser_problem() -> str | None:
    import shutil

    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            if shutil.which("chromedriver"):
                return None
            return "chromedriver not found (Debian package chromium-driver)"
    return "Chromium not found (Debian packages chromium and chromium-driver)"


PROBLEMS = {
    "redis": redis_problem,
    "rabbitmq": rabbitmq_problem,
    "browser": browser_problem,
}


def require(marker: str) -> None:
    """Skip (locally) or fail (under CI) the current test if ``marker``'s service is missing."""
    problem = PROBLEMS[marker]()
    if problem is None:
        return
    if services_required():
        pytest.fail(f"required service missing under CI: {problem}", pytrace=False)
    pytest.skip(f"service missing: {problem}")
