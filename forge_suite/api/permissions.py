"""Who may call an endpoint: OAuth2 tokens by scope, session users by Django permission."""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import AbstractAccessToken
from rest_framework.permissions import SAFE_METHODS, BasePermission

__all__ = ["ScopeOrPermission"]


class ScopeOrPermission(BasePermission):
    """A view declares ``read_scopes``/``write_scopes`` and ``read_permissions``/
    ``write_permissions``; safe methods need the read ones, the others the write ones.

    - A bearer token (django-oauth-toolkit's ``OAuth2Authentication``) needs every scope
      (403 ``insufficient_scope`` otherwise); a token for a user also needs what that user
      needs, so a token never grants more than its user has.
    - A user (session, or a token's) needs the permissions. Where a view declares none, it
      acts for the whole site (sends mail, broadcasts to any channel): only staff may, unless
      the view sets ``user_scoped = True`` (it only touches the user's own things: inbox, files,
      usage).
    - Anyone else gets 401 with ``WWW-Authenticate: Bearer``.
    """

    message = "The token does not have the scope this endpoint needs."

    def has_permission(self, request: Any, view: Any) -> bool:
        safe = request.method in SAFE_METHODS
        scopes = list(getattr(view, "read_scopes" if safe else "write_scopes", ()))
        permissions = list(getattr(view, "read_permissions" if safe else "write_permissions", ()))
        token = request.auth
        if isinstance(token, AbstractAccessToken):
            if not token.is_valid(scopes):
                request.oauth2_error = {
                    "error": "insufficient_scope",
                    "error_description": f"needs scope {' '.join(scopes)}",
                }
                return False
            user = token.user
            return user is None or self._user_may(user, permissions, view)
        user = request.user
        if not (user and user.is_authenticated):
            return False
        self.message = "You do not have permission to perform this action."
        return self._user_may(user, permissions, view)

    @staticmethod
    def _user_may(user: Any, permissions: list[str], view: Any) -> bool:
        if permissions:
            return bool(user.has_perms(permissions))
        return bool(getattr(view, "user_scoped", False) or user.is_staff)
