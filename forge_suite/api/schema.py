"""How the OpenAPI document describes the API's security: the OAuth2 flows the suite serves
and, per operation, the scopes its view asks for (``read_scopes`` / ``write_scopes``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from rest_framework.permissions import SAFE_METHODS

from forge_suite.api.conf import app_settings

__all__ = ["ForgeOAuth2Scheme", "schema_settings"]


class ForgeOAuth2Scheme(DjangoOAuthToolkitScheme):
    """drf-spectacular's django-oauth-toolkit scheme, reading the scopes of the suite's views
    (their permission class is :class:`~forge_suite.api.permissions.ScopeOrPermission`, which
    the stock extension does not know)."""

    priority = 1

    def get_security_requirement(self, auto_schema: Any) -> Any:
        view = auto_schema.view
        if hasattr(view, "read_scopes") and hasattr(view, "write_scopes"):
            safe = auto_schema.method in SAFE_METHODS
            return {self.name: list(view.read_scopes if safe else view.write_scopes)}
        return super().get_security_requirement(auto_schema)


def schema_settings() -> dict[str, Any]:
    """drf-spectacular settings of the API's document (the OAuth2 URLs follow ``OAUTH_PREFIX``)."""
    oauth = "/" + str(app_settings.OAUTH_PREFIX).lstrip("/")
    return {
        "TITLE": "Forge Suite API",
        "VERSION": "1",
        "COMPONENT_SPLIT_REQUEST": True,
        "OAUTH2_FLOWS": ["authorizationCode", "clientCredentials"],
        "OAUTH2_AUTHORIZATION_URL": f"{oauth}authorize/",
        "OAUTH2_TOKEN_URL": f"{oauth}token/",
        "OAUTH2_REFRESH_URL": f"{oauth}token/",
    }
