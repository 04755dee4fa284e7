"""OAuth2 access tokens for tests, made directly in django-oauth-toolkit's table (the token
flows themselves are tested in tests/api/)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

__all__ = ["bearer", "issue_token"]


def issue_token(scope: str, user: Any = None, *, lifetime: timedelta = timedelta(hours=1)) -> str:
    """A valid access token for ``scope`` (space-separated), of ``user`` or of no user."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    value = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        user=user, token=value, scope=scope, expires=timezone.now() + lifetime
    )
    return value


def bearer(scope: str, user: Any = None) -> dict[str, str]:
    """``Authorization`` headers carrying a new token for ``scope``."""
    return {"Authorization": f"Bearer {issue_token(scope, user)}"}
