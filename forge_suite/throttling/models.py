"""Limits edited at runtime in the admin, applied over the declared policies."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from forge_suite.throttling.exceptions import InvalidRate
from forge_suite.throttling.policy import ALGORITHMS, MODES
from forge_suite.throttling.rates import parse_rate


class RateLimitOverride(models.Model):
    """A runtime change to a named policy: its rate, burst, algorithm or mode, or no limit."""

    policy = models.CharField(_("policy"), max_length=100, unique=True)
    rate = models.CharField(
        _("rate"),
        max_length=32,
        blank=True,
        help_text=_("django-ratelimit syntax such as 60/m or 5/10s; blank keeps the declared."),
    )
    burst = models.PositiveIntegerField(_("burst"), null=True, blank=True)
    algorithm = models.CharField(
        _("algorithm"), max_length=20, blank=True, choices=[(a, a) for a in ALGORITHMS]
    )
    mode = models.CharField(_("mode"), max_length=10, blank=True, choices=[(m, m) for m in MODES])
    unlimited = models.BooleanField(_("unlimited"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["policy"]
        verbose_name = _("rate limit override")
        verbose_name_plural = _("rate limit overrides")
        indexes = [models.Index(fields=["enabled"], name="forge_thr_override_enabled")]
        permissions = [("bypass_throttle", "Is never rate limited")]

    def __str__(self) -> str:
        if self.unlimited:
            return f"{self.policy}: unlimited"
        return f"{self.policy}: {self.rate or 'declared rate'}"

    def clean(self) -> None:
        if self.rate:
            try:
                parse_rate(self.rate)
            except InvalidRate as exc:
                raise ValidationError({"rate": str(exc)}) from exc
