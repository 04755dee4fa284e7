"""The rule CI depends on: a missing service skips locally but fails under CI."""

from __future__ import annotations

import pytest

from tests import services


@pytest.fixture
def missing_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        services.PROBLEMS, "redis", lambda: "Redis at redis://nowhere not reachable"
    )


def test_missing_service_is_a_skip_locally(
    missing_redis: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("FORGE_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        services.require("redis")


@pytest.mark.parametrize("variable", ["CI", "FORGE_REQUIRE_SERVICES"])
def test_missing_service_is_a_failure_under_ci(
    missing_redis: None, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("FORGE_REQUIRE_SERVICES", raising=False)
    monkeypatch.setenv(variable, "true")
    with pytest.raises(pytest.fail.Exception, match="required service missing under CI"):
        services.require("redis")


def test_reachable_service_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(services.PROBLEMS, "redis", lambda: None)
    services.require("redis")


def test_closed_port_is_reported_unreachable() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    problem = services.tcp_reachable("127.0.0.1", port, 0.5)
    assert problem is not None
    assert str(port) in problem
