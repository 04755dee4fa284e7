"""Redis unreachable: the failure mode decides, it is logged, and no request gets a 500."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from django.test import Client

from forge_suite.throttling import Policy, acheck, check
from tests.throttling.test_http import MIDDLEWARE, POLICIES


def closed_port_url() -> str:
    """A Redis URL on a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def dead_redis(settings: Any) -> Any:
    from forge_suite.core.redis import reset_clients

    settings.ROOT_URLCONF = "tests.throttling.urls"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.FORGE = {
        "REDIS_SOCKET_TIMEOUT": 1.0,
        "THROTTLING": {
            "STORE": "redis",
            "REDIS_URL": closed_port_url(),
            "POLICIES": POLICIES,
            "DYNAMIC_LIMITS": False,
        },
    }
    yield settings
    reset_clients()


def mode(settings: Any, failure_mode: str) -> None:
    forge = dict(settings.FORGE)
    forge["THROTTLING"] = {**forge["THROTTLING"], "FAILURE_MODE": failure_mode}
    settings.FORGE = forge


def test_fail_open_lets_requests_through(
    dead_redis: Any, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    mode(dead_redis, "open")
    with caplog.at_level(logging.WARNING, logger="forge_suite.throttling"):
        responses = [client.get("/api/ping/") for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert "RateLimit" not in responses[0]  # no made-up counters
    assert "failing open" in caplog.text


def test_fail_closed_limits_with_a_429_not_a_500(
    dead_redis: Any, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    mode(dead_redis, "closed")
    with caplog.at_level(logging.WARNING, logger="forge_suite.throttling"):
        response = client.get("/api/ping/", headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "failing closed" in caplog.text


def test_check_reports_the_store_error(dead_redis: Any) -> None:
    mode(dead_redis, "closed")
    decision = check(Policy("p", "5/m"), "k")
    assert not decision.allowed
    assert decision.error is not None
    assert "Redis" in decision.error
    mode(dead_redis, "open")
    assert check(Policy("p", "5/m"), "k").allowed


async def test_acheck_fails_open_too(dead_redis: Any) -> None:
    mode(dead_redis, "open")
    decision = await acheck(Policy("p", "5/m"), "k")
    assert decision.allowed
    assert decision.error is not None
