"""WebSocket connections get a request id like HTTP requests."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer, JsonWebsocketConsumer
from channels.testing import WebsocketCommunicator

from forge_suite.observability import get_request_id, valid_request_id
from forge_suite.observability.asgi import RequestIdASGIMiddleware

logger = logging.getLogger("tests.observability.ws")


class EchoId(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        logger.info("ws message")
        await self.send_json({"request_id": get_request_id(), "scope": self.scope["request_id"]})


class SyncEchoId(JsonWebsocketConsumer):
    def receive_json(self, content: Any, **kwargs: Any) -> None:
        self.send_json({"request_id": get_request_id()})


async def roundtrip(app: Any, headers: list[tuple[bytes, bytes]]) -> tuple[Any, Any]:
    communicator = WebsocketCommunicator(app, "/ws/echo/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"hello": 1})
    reply = await communicator.receive_json_from()
    await communicator.disconnect()
    return reply, communicator


async def test_a_valid_handshake_id_is_current_in_the_consumer(json_log: io.StringIO) -> None:
    app = RequestIdASGIMiddleware(EchoId.as_asgi())
    reply, _ = await roundtrip(app, [(b"x-request-id", b"abc123")])
    assert reply == {"request_id": "abc123", "scope": "abc123"}
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    message = [r for r in records if r["event"] == "ws message"]
    assert message[0]["request_id"] == "abc123"
    assert get_request_id() is None


async def test_an_invalid_handshake_id_is_replaced() -> None:
    app = RequestIdASGIMiddleware(EchoId.as_asgi())
    reply, _ = await roundtrip(app, [(b"x-request-id", b"bad id\x01")])
    assert reply["request_id"] != "bad id\x01"
    assert valid_request_id(reply["request_id"])


async def test_sync_consumers_see_the_id_too() -> None:
    app = RequestIdASGIMiddleware(SyncEchoId.as_asgi())
    reply, _ = await roundtrip(app, [(b"x-request-id", b"sync-ws")])
    assert reply == {"request_id": "sync-ws"}


async def test_the_handshake_response_returns_the_id() -> None:
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.accept"})

    async def receive() -> Any:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws/", "headers": [(b"x-request-id", b"hs-1")]}
    await RequestIdASGIMiddleware(app)(scope, receive, send)
    assert (b"x-request-id", b"hs-1") in sent[0]["headers"]
