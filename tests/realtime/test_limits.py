"""Message size on real servers: our protocol error comes before the server's frame limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.realtime.harness import APP

pytestmark = [pytest.mark.slow]


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
async def test_an_oversized_frame_gets_the_protocol_error_and_the_socket_lives(
    start_server: Any, server: str
) -> None:
    from websockets.asyncio.client import connect

    running = start_server(server=server)
    async with connect(
        f"ws://127.0.0.1:{running.port}/app/{APP['key']}?protocol=7", max_size=None
    ) as ws:
        assert json.loads(await ws.recv())["event"] == "pusher:connection_established"
        # 512 KiB: above our 10 KiB default, below daphne's 1 MiB and uvicorn's 16 MiB.
        big = json.dumps({"event": "client-x", "channel": "private-a", "data": "x" * 512 * 1024})
        await ws.send(big)
        error = json.loads(await ws.recv())
        assert error["event"] == "pusher:error"
        data = json.loads(error["data"])
        assert data["code"] == 4200
        assert "exceeds the maximum of 10240" in data["message"]
        await ws.send(json.dumps({"event": "pusher:ping", "data": {}}))
        assert json.loads(await ws.recv())["event"] == "pusher:pong"


def test_a_message_limit_at_or_above_daphnes_frame_limit_is_warned_about(settings: Any) -> None:
    from forge_suite.realtime.checks import check_realtime

    settings.FORGE = {"REALTIME": {"APPS": [{**APP, "max_message_size": 2 * 1024 * 1024}]}}
    ids = [m.id for m in check_realtime(None)]
    assert "forge_realtime.W002" in ids
    settings.FORGE = {"REALTIME": {"APPS": [APP]}}
    assert "forge_realtime.W002" not in [m.id for m in check_realtime(None)]
