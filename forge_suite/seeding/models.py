"""A record of every seeder run, so a project knows whether it has been seeded."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SeedRun(models.Model):
    """One seeder that ran to completion (written in the seeder's own transaction)."""

    seeder = models.CharField("seeder", max_length=200)
    environment = models.CharField("environment", max_length=50)
    seed = models.BigIntegerField("seed", null=True, blank=True)
    rows = models.PositiveBigIntegerField("rows created", default=0)
    started_at = models.DateTimeField("started at", default=timezone.now)
    duration = models.DurationField("duration")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "seed run"
        verbose_name_plural = "seed runs"
        indexes = [models.Index(fields=["seeder", "-started_at"], name="forge_seed_seeder_idx")]

    def __str__(self) -> str:
        return f"{self.seeder} ({self.environment}, {self.rows} rows)"
