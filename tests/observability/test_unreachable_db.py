"""/health/live never touches the database; /health/ready names it when it is unreachable."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests.observability.conftest import Server
from tests.support.sockets import HangingServer

pytestmark = pytest.mark.slow


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound but not listening: connections are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield int(sock.getsockname()[1])
    sock.close()


def test_live_passes_and_ready_fails_naming_the_database(closed_port: int) -> None:
    server = Server("tests.observability.nodb_settings", FORGE_OBS_DEAD_DB_PORT=str(closed_port))
    try:
        status, body, headers = server.get("/health/live")
        assert status == 200
        assert json.loads(body) == {"status": "pass"}
        assert headers["X-Request-ID"]

        status, body, headers = server.get("/health/ready")
        data = json.loads(body)
        assert status == 503
        assert headers["Content-Type"] == "application/health+json"
        assert data["status"] == "fail"
        assert data["checks"]["database:default"][0]["status"] == "fail"
        assert "database:default" in data["output"]
        # The other components are still reported, and pass.
        assert data["checks"]["cache:default"][0]["status"] == "pass"
    finally:
        server.stop()


def test_live_opens_no_connection_to_a_hanging_database() -> None:
    """The database port accepts and never answers: live is instant, ready times out."""
    database = HangingServer()
    server = Server("tests.observability.nodb_settings", FORGE_OBS_DEAD_DB_PORT=str(database.port))
    try:
        for _ in range(5):
            status, _, _ = server.get("/health/live")
            assert status == 200
        assert database.accepted == []  # not one connection attempt

        started = time.monotonic()
        status, body, _ = server.get("/health/ready")
        elapsed = time.monotonic() - started
        assert status == 503
        output = json.loads(body)["checks"]["database:default"][0]["output"]
        assert output == "timed out after 1.5 s"
        assert elapsed < 5, elapsed  # HEALTH_TIMEOUT is 1.5 s; the driver would wait longer
        assert len(database.accepted) >= 1
    finally:
        server.stop()
        database.close()
