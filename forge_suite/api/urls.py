"""``path("", include("forge_suite.api.urls"))``: the OAuth2 endpoints and the versioned API.

- ``o/``: django-oauth-toolkit (authorize, token, revoke_token, introspect; OpenID Connect's
  discovery, JWKS and userinfo when enabled);
- ``api/v1/schema/``: the OpenAPI 3 document; ``api/v1/docs/``: Swagger UI (assets served
  from drf-spectacular-sidecar, no CDN);
- ``api/v1/<app>/``: each installed app's endpoints, from its ``rest`` module.

Prefixes come from ``FORGE["API"]`` (``OAUTH_PREFIX``, ``PREFIX``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from forge_suite.api.conf import app_settings
from forge_suite.api.schema import schema_settings

__all__ = [
    "MOUNTS",
    "DocsView",
    "SchemaView",
    "api_patterns",
    "app_patterns",
    "oauth_patterns",
    "openapi_schema",
    "urlpatterns",
]

#: (URL segment, app, module with ``urlpatterns``): mounted when the app is installed.
MOUNTS: list[tuple[str, str, str]] = [
    ("health", "forge_suite.observability", "forge_suite.observability.rest"),
    ("jobs", "forge_suite.scheduling", "forge_suite.scheduling.rest"),
    ("realtime", "forge_suite.realtime", "forge_suite.realtime.rest"),
    ("events", "forge_suite.eventstore", "forge_suite.eventstore.rest"),
    ("throttling", "forge_suite.throttling", "forge_suite.throttling.rest"),
    ("notifications", "forge_suite.mailer", "forge_suite.mailer.rest"),
    ("files", "forge_suite.files", "forge_suite.files.rest"),
    ("mail", "forge_suite.mailer", "forge_suite.mailer.mail_rest"),
]


def app_patterns() -> list[URLPattern | URLResolver]:
    """Every installed app's endpoints, each under its own segment."""
    return [
        path(f"{segment}/", include(import_module(module).urlpatterns))
        for segment, app, module in MOUNTS
        if apps.is_installed(app)
    ]


def _schema_urlconf() -> list[URLPattern | URLResolver]:
    # Only the API's own endpoints (the schema and docs views are not in it).
    return [path(str(app_settings.PREFIX), include(app_patterns()))]


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI 3 document of the API, as ``api/v1/schema/`` serves it (the docs build and
    ``manage.py api_schema`` write it to a file)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.settings import patched_settings

    with patched_settings(schema_settings()):
        generator = SchemaGenerator(patterns=_schema_urlconf())
        return dict(generator.get_schema(request=None, public=True))


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 document of the API alone (not of the project's other DRF views)."""

    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.custom_settings = schema_settings()
        self.urlconf = _schema_urlconf()  # type: ignore[assignment]
        return super().get(request, *args, **kwargs)


class DocsView(SpectacularSwaggerView):
    """Swagger UI with its assets from drf-spectacular-sidecar: no CDN, whatever the settings."""

    title = "Forge Suite API"

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")


def api_patterns() -> list[URLPattern | URLResolver]:
    """The versioned API: schema, docs and every installed app's endpoints."""
    return [
        path("schema/", SchemaView.as_view(), name="forge-api-schema"),
        path("docs/", DocsView.as_view(url_name="forge-api-schema"), name="forge-api-docs"),
        *app_patterns(),
    ]


def oauth_patterns() -> list[URLPattern | URLResolver]:
    """django-oauth-toolkit's endpoints the suite serves: the server metadata, authorize,
    token, revoke and introspect, and OpenID Connect's when enabled. Not its application
    management pages nor dynamic client registration: applications are created by staff in
    the admin (or by ``quickstart``), never by whoever signs in."""
    from django.conf import settings
    from oauth2_provider import urls as oauth2_urls

    patterns = [*oauth2_urls.metadata_urlpatterns, *oauth2_urls.base_urlpatterns]
    if getattr(settings, "OAUTH2_PROVIDER", {}).get("OIDC_ENABLED"):
        patterns += oauth2_urls.oidc_urlpatterns
    return patterns


urlpatterns = [
    path(
        str(app_settings.OAUTH_PREFIX),
        include((oauth_patterns(), "oauth2_provider"), namespace="oauth2_provider"),
    ),
    path(str(app_settings.PREFIX), include(api_patterns())),
]
