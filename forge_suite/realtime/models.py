"""No tables: one unmanaged model gives the live page its place on the admin index."""

from __future__ import annotations

from django.db import models


class LiveOverview(models.Model):
    """Placeholder for the admin's realtime live page; never stored (``managed = False``)."""

    class Meta:
        managed = False
        ordering = ["pk"]
        verbose_name = "live overview"
        verbose_name_plural = "live overview"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return "live overview"
