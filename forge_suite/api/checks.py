"""System checks of the API app, registered from ``ApiConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error

__all__ = ["check_schema_class"]


def check_schema_class(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The OpenAPI document needs drf-spectacular's AutoSchema as DRF's schema class."""
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.settings import api_settings

    schema_class = api_settings.DEFAULT_SCHEMA_CLASS
    if isinstance(schema_class, type) and issubclass(schema_class, AutoSchema):
        return []
    return [
        Error(
            'REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] is not drf-spectacular\'s AutoSchema: the '
            "API's OpenAPI document (api/v1/schema/) cannot be generated.",
            hint='REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}',
            obj="settings.REST_FRAMEWORK",
            id="forge_api.E001",
        )
    ]
