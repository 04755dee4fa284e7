"""An OAuth2 provider (django-oauth-toolkit) and one versioned DRF API over the suite's apps.

Public API::

    # settings.py
    from forge_suite.api import oauth2_provider_settings

    INSTALLED_APPS += ["oauth2_provider", "rest_framework", "drf_spectacular",
                       "drf_spectacular_sidecar", "forge_suite.api"]
    OAUTH2_PROVIDER = oauth2_provider_settings(debug=DEBUG)

    # urls.py
    path("", include("forge_suite.api.urls"))  # /o/... (OAuth2) and /api/v1/... (the API)

Each app's endpoints live in its own ``rest.py`` and are mounted only when the app is
installed; scopes are named per app (``jobs:read``, ``jobs:write``...; :data:`SCOPES`).
"""

from __future__ import annotations

from forge_suite.api.oauth import oauth2_provider_settings, oidc_key
from forge_suite.api.scopes import SCOPES

__all__ = ["SCOPES", "oauth2_provider_settings", "oidc_key"]
