"""Request ids for WebSocket connections (and any ASGI scope Django's middleware cannot see).

Wrap the WebSocket side of the ASGI application::

    application = ProtocolTypeRouter({
        "http": django_asgi_app,
        "websocket": RequestIdASGIMiddleware(AuthMiddlewareStack(URLRouter(...))),
    })

The connection keeps one id (a trusted valid ``X-Request-ID`` from the handshake or a new one)
for its whole life: it is current in every consumer handler, so log lines carry it; it is in
``scope["request_id"]`` and returned in the handshake response headers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from forge_suite.observability import tracing
from forge_suite.observability.conf import app_settings
from forge_suite.observability.context import reset_request_id, set_request_id
from forge_suite.observability.middleware import incoming_request_id, tag_sentry

__all__ = ["RequestIdASGIMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger("forge_suite.observability.websocket")


class RequestIdASGIMiddleware:
    """ASGI middleware giving each WebSocket connection a request id."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "websocket":
            await self.app(scope, receive, send)
            return
        header = str(app_settings.REQUEST_ID_HEADER).lower().encode("latin-1")
        raw = next((v for k, v in scope.get("headers") or [] if k.lower() == header), None)
        request_id = incoming_request_id(raw.decode("latin-1") if raw is not None else None)
        scope = dict(scope, request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message.get("type") == "websocket.accept":
                headers = list(message.get("headers") or [])
                headers.append((header, request_id.encode("latin-1")))
                message = dict(message, headers=headers)
            await send(message)

        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []
        }
        token = set_request_id(request_id)
        trace_token = tracing.set_trace(
            None
            if tracing.otel_enabled()
            else tracing.continue_or_start(
                headers.get(tracing.TRACEPARENT), headers.get(tracing.TRACESTATE)
            )
        )
        tag_sentry(request_id)
        try:
            with tracing.websocket_span(scope, headers):
                logger.info("websocket connected", extra={"path": scope.get("path")})
                await self.app(scope, receive, send_with_id)
        finally:
            logger.info("websocket closed", extra={"path": scope.get("path")})
            tracing.reset_trace(trace_token)
            reset_request_id(token)
            tag_sentry(None)
