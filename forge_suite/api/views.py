"""What every API view shares: authentication, permissions, pagination, throttling."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import APIException, ParseError
from rest_framework.pagination import BasePagination
from rest_framework.throttling import BaseThrottle

from forge_suite.api.conf import app_settings
from forge_suite.api.pagination import ForgeCursorPagination
from forge_suite.api.permissions import ScopeOrPermission
from forge_suite.core.exceptions import ServiceUnavailable

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass
else:
    _PermissionClass = Any

__all__ = [
    "ApiThrottle",
    "ContentTooLarge",
    "ForgeApiMixin",
    "Unavailable",
    "api_policy",
    "mark_client",
]

logger = logging.getLogger("forge_suite.api")


class Unavailable(APIException):
    """503: a service the request needs (Redis, the job broker...) is down or does not answer.

    The answer carries ``Retry-After``; what the request would have changed is left as it was.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service this request needs is unavailable; nothing was changed."
    default_code = "service_unavailable"
    retry_after = 5


class ContentTooLarge(APIException):
    """413: the request body is larger than Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "content_too_large"


@functools.cache
def _outages() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "a backing service is down or hangs", not a bug."""
    kinds: list[type[BaseException]] = [ServiceUnavailable, ConnectionError, TimeoutError]
    try:
        import redis

        kinds += [redis.ConnectionError, redis.TimeoutError]
    except ImportError:  # pragma: no cover - redis comes with the suite
        pass
    try:
        from kombu.exceptions import OperationalError

        kinds.append(OperationalError)
    except ImportError:  # pragma: no cover - without Celery there is no broker
        pass
    return tuple(kinds)


def _service_of(exc: BaseException) -> str:
    module = type(exc).__module__.split(".")[0]
    if module == "redis" or "redis" in type(exc).__name__.lower():
        return "Redis"
    if module in {"kombu", "amqp", "celery"}:
        return "The job broker"
    return "A service this request needs"


def _client_key(group: str, request: Any) -> str:
    """The API's counter key: the OAuth2 client, else the user, else the client IP."""
    from forge_suite.throttling.policy import ip_key

    client = getattr(request, "forge_api_client", None)
    if client:
        return f"client:{client}"
    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"  # type: ignore[union-attr]
    return ip_key(request)


@functools.cache
def _api_policy(rate: str) -> Any:
    from forge_suite.throttling import Policy

    return Policy("api", rate, algorithm="gcra", key=_client_key)


def api_policy() -> Any:
    """The API's own rate-limit policy (``THROTTLE_RATE``), or None when it is off or
    forge_suite.throttling is not installed."""
    from django.apps import apps

    rate = app_settings.THROTTLE_RATE
    if not rate or not apps.is_installed("forge_suite.throttling"):
        return None
    return _api_policy(str(rate))


@functools.cache
def _throttle_class(rate: str) -> type[BaseThrottle] | None:
    from django.apps import apps

    if not apps.is_installed("forge_suite.throttling"):
        return None
    from forge_suite.throttling.drf import PolicyThrottle

    policy = _api_policy(rate)

    class ClientThrottle(PolicyThrottle):
        def get_policy(self, request: Any, view: Any) -> Any:
            return policy

    return ClientThrottle


def mark_client(request: Any) -> None:
    """Note the OAuth2 client of a DRF request on its Django request (the API's counter key)."""
    application = getattr(request.auth, "application", None)
    if application is not None:
        request._request.forge_api_client = application.client_id


class ApiThrottle(BaseThrottle):
    """``FORGE["API"]["THROTTLE_RATE"]`` per OAuth2 client (or user, or client IP), through
    forge_suite.throttling when it is installed (its headers and admin overrides apply)."""

    def __init__(self) -> None:
        rate = app_settings.THROTTLE_RATE
        throttle = _throttle_class(str(rate)) if rate else None
        self._inner: Any = throttle() if throttle is not None else None

    def allow_request(self, request: Any, view: Any) -> bool:
        if self._inner is None:
            return True
        mark_client(request)
        return bool(self._inner.allow_request(request, view))

    def wait(self) -> float | None:
        return None if self._inner is None else self._inner.wait()


class ForgeApiMixin:
    """Mix into every API view: bearer tokens and sessions, scopes or permissions, cursor
    pagination and the API's rate limit, whatever the project's ``REST_FRAMEWORK`` says."""

    authentication_classes: Sequence[type[BaseAuthentication]] = [
        OAuth2Authentication,
        SessionAuthentication,
    ]
    permission_classes: Sequence[_PermissionClass] = [ScopeOrPermission]
    pagination_class: type[BasePagination] | None = ForgeCursorPagination
    throttle_classes: Sequence[type[BaseThrottle]] = [ApiThrottle]
    read_scopes: tuple[str, ...] = ()
    write_scopes: tuple[str, ...] = ()
    read_permissions: tuple[str, ...] = ()
    write_permissions: tuple[str, ...] = ()
    #: True when the view only touches the requesting user's own things: then any signed-in
    #: user may call it without a Django permission (see ScopeOrPermission).
    user_scoped = False

    def handle_exception(self, exc: Exception) -> Any:
        """A backing service that is down or hangs is a 503 with a message, a body over
        Django's limits a 413 or 400 with one: never a 500 or Django's HTML error page."""
        if isinstance(exc, RequestDataTooBig):
            most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            exc = ContentTooLarge(f"The request body is larger than {most:,} bytes.")
        elif isinstance(exc, TooManyFieldsSent):
            most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            exc = ParseError(f"The request has more than {most:,} form fields.")
        if isinstance(exc, _outages()) and not isinstance(exc, APIException):
            view = type(self).__name__
            logger.warning("forge_api: %s answered 503: %s: %s", view, type(exc).__name__, exc)
            service = _service_of(exc)
            exc = Unavailable(f"{service} is unavailable; nothing was changed. Try again later.")
        response = super().handle_exception(exc)  # type: ignore[misc]
        if isinstance(exc, Unavailable):
            response["Retry-After"] = str(exc.retry_after)
        return response
