"""Who is calling an upload endpoint: the session user (with CSRF) or an OAuth2 bearer token."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

__all__ = ["authenticate"]


class AuthFailed(Exception):
    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _csrf_ok(request: HttpRequest) -> bool:
    def noop(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    check = CsrfViewMiddleware(noop)
    check.process_request(request)
    return check.process_view(request, noop, (), {}) is None


def authenticate(request: HttpRequest) -> Any:
    """The user of ``request`` or None (anonymous). A bad bearer token or a session request
    without a valid CSRF token raises :class:`AuthFailed`."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        if not apps.is_installed("oauth2_provider"):
            raise AuthFailed("Bearer tokens need django-oauth-toolkit (oauth2_provider).")
        from oauth2_provider.oauth2_backends import get_oauthlib_core

        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        if not valid or oauth_request.user is None:
            raise AuthFailed("The bearer token is invalid or expired.")
        return oauth_request.user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _csrf_ok(request):
            raise AuthFailed("CSRF check failed: send the X-CSRFToken header.", status=403)
        return user
    return None
