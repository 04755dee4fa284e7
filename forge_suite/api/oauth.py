"""``OAUTH2_PROVIDER`` for django-oauth-toolkit with the suite's scopes and safe defaults."""

from __future__ import annotations

from typing import Any

from forge_suite.api.scopes import SCOPES

__all__ = ["oauth2_provider_settings"]


def oauth2_provider_settings(
    *, debug: bool = False, oidc_rsa_private_key: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """django-oauth-toolkit settings following RFC 9700 (OAuth 2.0 security best practice).

    - authorization code with PKCE for every client (``S256`` or ``plain`` as DOT accepts;
      public clients cannot skip it), client credentials and refresh tokens; no implicit or
      password grant is offered by the suite's applications;
    - one-hour access tokens; refresh tokens rotated on use, reuse of a rotated one revokes the
      family, expired after 30 days (removed by ``cleartokens``);
    - the suite's scopes (:data:`~forge_suite.api.scopes.SCOPES`), ``openid`` with OpenID
      Connect when an RSA private key (PEM) is given;
    - redirect URIs over https only, http too with ``debug``.

    ``overrides`` are django-oauth-toolkit setting names and win over all of the above.
    """
    scopes = dict(SCOPES)
    config: dict[str, Any] = {
        "SCOPES": scopes,
        "DEFAULT_SCOPES": ["health:read"],
        "PKCE_REQUIRED": True,
        "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
        "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
        "ROTATE_REFRESH_TOKEN": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if debug else ["https"],
        "ERROR_RESPONSE_WITH_SCOPES": True,
    }
    if oidc_rsa_private_key:
        scopes["openid"] = "Sign you in (OpenID Connect)"
        config.update(OIDC_ENABLED=True, OIDC_RSA_PRIVATE_KEY=oidc_rsa_private_key)
    config.update(overrides)
    return config
