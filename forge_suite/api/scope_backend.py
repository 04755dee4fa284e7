"""django-oauth-toolkit's scopes backend with per-application scopes (``SCOPES_BACKEND_CLASS``,
set by :func:`~forge_suite.api.oauth2_provider_settings`). Kept apart from
:mod:`forge_suite.api.scopes`, which settings modules import before Django is set up."""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import SettingsScopes

__all__ = ["ApplicationScopesBackend"]


class ApplicationScopesBackend(SettingsScopes):
    """django-oauth-toolkit's scopes backend, narrowed per application by
    :class:`~forge_suite.api.models.ApplicationScopes` (no row: every scope of the server)."""

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        available = list(super().get_available_scopes(application, request, *args, **kwargs))
        allowed = _allowed(application)
        return available if allowed is None else [s for s in available if s in allowed]

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        defaults = list(super().get_default_scopes(application, request, *args, **kwargs))
        allowed = _allowed(application)
        return defaults if allowed is None else [s for s in defaults if s in allowed]


def _allowed(application: Any) -> set[str] | None:
    if application is None or getattr(application, "pk", None) is None:
        return None
    from forge_suite.api.models import ApplicationScopes

    row = ApplicationScopes.objects.filter(application_id=application.pk).first()
    return None if row is None else set(row.scope_list)
