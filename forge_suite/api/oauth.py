"""``OAUTH2_PROVIDER`` for django-oauth-toolkit with the suite's scopes and safe defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from forge_suite.api.scopes import SCOPES

__all__ = ["oauth2_provider_settings", "oidc_key"]


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
    - redirect URIs over https only, http too with ``debug``;
    - scopes narrowed per application where the admin says so (*Application scopes*): a
      client asking for more gets ``invalid_scope``.

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
        # Per-application scopes (forge_suite.api.models.ApplicationScopes, in the admin).
        "SCOPES_BACKEND_CLASS": "forge_suite.api.scope_backend.ApplicationScopesBackend",
    }
    if oidc_rsa_private_key:
        scopes["openid"] = "Sign you in (OpenID Connect)"
        config.update(OIDC_ENABLED=True, OIDC_RSA_PRIVATE_KEY=oidc_rsa_private_key)
    config.update(overrides)
    return config


def oidc_key(path: str | os.PathLike[str], *, create: bool = False) -> str | None:
    """The PEM RSA private key that signs OpenID Connect ID tokens, read from ``path``.

    With ``create=True`` a missing file is made first: a new 2048-bit key, readable by its
    owner only (what ``passport:keys`` does for Laravel). Meant for development, where
    ``create=DEBUG`` gives every checkout its own key; in production pass the key from a secret
    store instead. Returns None when the file is missing and ``create`` is false.
    """
    file = Path(path)
    if not file.exists():
        if not create:
            return None
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        file.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: two processes starting at once end up with
        # one complete key, never a half-written file.
        temp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        try:
            os.link(temp, file)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return file.read_text()
