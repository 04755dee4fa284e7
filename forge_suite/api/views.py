"""What every API view shares: authentication, permissions, pagination, throttling."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.pagination import BasePagination
from rest_framework.throttling import BaseThrottle

from forge_suite.api.conf import app_settings
from forge_suite.api.pagination import ForgeCursorPagination
from forge_suite.api.permissions import ScopeOrPermission

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass
else:
    _PermissionClass = Any

__all__ = ["ApiThrottle", "ForgeApiMixin", "api_policy", "mark_client"]


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
