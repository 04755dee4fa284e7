"""Which scopes an OAuth2 application may be granted (as Doorkeeper's per-application scopes)."""

from __future__ import annotations

from django.db import models
from oauth2_provider.settings import oauth2_settings

__all__ = ["ApplicationScopes"]


class ApplicationScopes(models.Model):
    """The scopes one application may request; an application without a row may request any
    of the server's scopes. A request for more is refused with ``invalid_scope``."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="forge_scopes",
    )
    scopes = models.TextField(
        help_text="Space-separated scopes this application may request, e.g. "
        '"jobs:read health:read".'
    )

    class Meta:
        verbose_name = "application scopes"
        verbose_name_plural = "application scopes"

    def __str__(self) -> str:
        return f"{self.application}: {self.scopes}"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
