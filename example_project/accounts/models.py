from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Profile(models.Model):
    """Public profile of a demo user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=150)
    bio = models.TextField(blank=True)
    location = models.CharField(max_length=120, blank=True)
    website = models.URLField(blank=True)
    is_verified = models.BooleanField("verified", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name"]
        verbose_name = "profile"
        verbose_name_plural = "profiles"
        indexes = [models.Index(fields=["is_verified"], name="accounts_profile_verified_idx")]

    def __str__(self) -> str:
        return self.display_name
