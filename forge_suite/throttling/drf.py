"""Django REST framework throttle classes backed by our stores and algorithms.

``REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": ["forge_suite.throttling.drf.UserRateThrottle"],
"DEFAULT_THROTTLE_RATES": {"user": "1000/day"}}`` works as with DRF's own classes; set
``policy = "name"`` on a subclass to use a declared policy instead.
"""

from __future__ import annotations

from typing import Any

from forge_suite.core.exceptions import MissingDependency

try:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
except ImportError as exc:  # pragma: no cover - the api extra is not installed
    raise MissingDependency("djangorestframework", "api", "DRF throttle classes") from exc

from forge_suite.throttling.decision import Decision
from forge_suite.throttling.pipeline import decide
from forge_suite.throttling.policy import Policy

__all__ = ["AnonRateThrottle", "PolicyThrottle", "ScopedRateThrottle", "UserRateThrottle"]


class PolicyThrottle(BaseThrottle):
    """Throttle by a declared ``policy`` or by DRF's ``scope`` in ``DEFAULT_THROTTLE_RATES``."""

    policy: str | None = None
    scope: str | None = None
    algorithm = "gcra"
    key = "user_or_ip"
    decision: Decision | None = None

    def get_scope(self, request: Any, view: Any) -> str | None:
        return self.scope

    def get_policy(self, request: Any, view: Any) -> Policy | str | None:
        """The declared policy's name, or the policy built from the scope's rate."""
        if self.policy:
            return self.policy
        scope = self.get_scope(request, view)
        if not scope:
            return None
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        if scope not in rates:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"No default throttle rate set for {scope!r} scope")
        rate = rates[scope]
        if rate is None:
            return None
        limit, period = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
        if limit is None or period is None:
            return None
        return Policy(f"drf.{scope}", (limit, period), algorithm=self.algorithm, key=self.key)

    def allow_request(self, request: Any, view: Any) -> bool:
        policy = self.get_policy(request, view)
        if policy is None:
            return True
        self.decision = decide(policy, getattr(request, "_request", request))
        return not self.decision.blocked

    def wait(self) -> float | None:
        if self.decision is None or self.decision.retry_after is None:
            return None
        return float(self.decision.retry_after_header or 1)


class AnonRateThrottle(PolicyThrottle):
    """Anonymous clients by IP (``DEFAULT_THROTTLE_RATES["anon"]``)."""

    scope = "anon"
    key = "ip"

    def allow_request(self, request: Any, view: Any) -> bool:
        if getattr(request.user, "is_authenticated", False):
            return True
        return super().allow_request(request, view)


class UserRateThrottle(PolicyThrottle):
    """Users by id, anonymous clients by IP (``DEFAULT_THROTTLE_RATES["user"]``)."""

    scope = "user"
    key = "user_or_ip"


class ScopedRateThrottle(PolicyThrottle):
    """The view's ``throttle_scope`` picks the rate, like DRF's class of the same name."""

    scope_attr = "throttle_scope"

    def get_scope(self, request: Any, view: Any) -> str | None:
        return getattr(view, self.scope_attr, None)
