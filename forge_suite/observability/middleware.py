"""Request-id correlation and the per-request access log line."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from forge_suite.core.proxies import client_ip
from forge_suite.observability import tracing
from forge_suite.observability.conf import app_settings
from forge_suite.observability.context import (
    generate_request_id,
    reset_request_id,
    set_request_id,
    valid_request_id,
)

__all__ = ["RequestIdMiddleware", "incoming_request_id", "tag_sentry"]

access_logger = logging.getLogger("forge_suite.observability.request")


def incoming_request_id(value: str | None) -> str:
    """The id to use for a request that arrived with ``value`` in the request-id header.

    A trusted, valid value is kept; anything else (missing, too long, odd characters, or
    ``TRUST_REQUEST_ID`` off) is replaced by a fresh id and never echoed back.
    """
    if (
        value
        and app_settings.TRUST_REQUEST_ID
        and valid_request_id(value, int(app_settings.REQUEST_ID_MAX_LENGTH))
    ):
        return value
    return generate_request_id()


def tag_sentry(request_id: str | None) -> None:
    """Set (or with None remove) the ``request_id`` tag on Sentry's isolation scope."""
    # Sentry cannot be initialised without importing sentry_sdk: a process that never did so
    # (most workers without a DSN) pays one dictionary lookup per job, not Sentry's scope walk.
    sentry_sdk = sys.modules.get("sentry_sdk")
    if sentry_sdk is None or not sentry_sdk.get_client().is_active():
        return
    if request_id is None:
        sentry_sdk.get_isolation_scope().remove_tag("request_id")
    else:
        sentry_sdk.set_tag("request_id", request_id)


def _user_id(request: HttpRequest) -> Any:
    # Only a user the request already loaded: resolving request.user would hit the session
    # store and the database, which /health/live must never do.
    user = getattr(request, "_cached_user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return None


class RequestIdMiddleware:
    """Give every request an id: reuse a valid ``X-Request-ID`` or generate one.

    The id is current (``context.get_request_id()``) while the request runs, so every log
    record, Celery task header and Sentry event of the request carries it; it is returned in
    the response header and logged with method, path, status, duration and user id.
    Put it first in ``MIDDLEWARE``.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        header, request_id, token, started = self._begin(request)
        try:
            response = self.get_response(request)
            self._finish(request, response, header, request_id, started)
            return response
        finally:
            self._end(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        header, request_id, token, started = self._begin(request)
        try:
            get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
            response = await get_response(request)
            self._finish(request, response, header, request_id, started)
            return response
        finally:
            self._end(token)

    def _end(self, token: tuple[object, object]) -> None:
        request_token, trace_token = token
        tracing.reset_trace(trace_token)
        reset_request_id(request_token)
        # Servers without a per-request Sentry scope (tests, some ASGI setups) must not keep
        # the tag for whatever is reported next.
        tag_sentry(None)

    def _begin(self, request: HttpRequest) -> tuple[str, str, tuple[object, object], float]:
        header = str(app_settings.REQUEST_ID_HEADER)
        request_id = incoming_request_id(request.headers.get(header))
        request.request_id = request_id  # type: ignore[attr-defined]
        # W3C trace context: continue the caller's trace or start one (OpenTelemetry's Django
        # middleware does this itself when tracing is on).
        trace = None
        if not tracing.otel_enabled():
            trace = tracing.continue_or_start(
                request.headers.get(tracing.TRACEPARENT), request.headers.get(tracing.TRACESTATE)
            )
        token = (set_request_id(request_id), tracing.set_trace(trace))
        tag_sentry(request_id)
        return header, request_id, token, time.perf_counter()

    def _finish(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        header: str,
        request_id: str,
        started: float,
    ) -> None:
        response[header] = request_id
        if app_settings.ACCESS_LOG:
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            access_logger.info(
                "request finished",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": _user_id(request),
                    "client_ip": client_ip(request),  # behind FORGE["TRUSTED_PROXIES"]
                },
            )
