"""No tables: one unmanaged model gives the health overview its place in the admin."""

from __future__ import annotations

from django.db import models


class HealthOverview(models.Model):
    """Placeholder for the admin's health page; never stored (``managed = False``)."""

    class Meta:
        managed = False
        ordering = ["pk"]
        verbose_name = "health overview"
        verbose_name_plural = "health overview"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return "health overview"
