"""Errors raised by forge_suite.throttling."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forge_suite.core.exceptions import ForgeError, ServiceUnavailable

if TYPE_CHECKING:
    from forge_suite.throttling.decision import Decision

if TYPE_CHECKING:
    # django-ratelimit ships no type hints (its classes are Any to mypy); its ``Ratelimited`` is
    # a plain ``PermissionDenied`` subclass, which is what type checkers see as the base.
    from django.core.exceptions import PermissionDenied as _RatelimitedBase

    _HAS_DJANGO_RATELIMIT: bool
else:
    try:
        from django_ratelimit.exceptions import Ratelimited as _RatelimitedBase

        _HAS_DJANGO_RATELIMIT = True
    except ImportError:  # pragma: no cover - the throttling extra is not installed
        from django.core.exceptions import PermissionDenied as _RatelimitedBase

        _HAS_DJANGO_RATELIMIT = False


class ThrottlingError(ForgeError):
    """Base class of every error raised by forge_suite.throttling."""


class InvalidRate(ThrottlingError, ValueError):
    """A rate string is not in django-ratelimit's syntax (``"60/m"``, ``"5/10s"``)."""


class InvalidPolicy(ThrottlingError, ValueError):
    """A policy has a bad name, algorithm, key, burst, scope or mode."""


class UnknownPolicy(ThrottlingError, KeyError):
    """``check("name", ...)`` names a policy that is neither in settings nor registered."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class CostTooHigh(ThrottlingError, ValueError):
    """A cost larger than the policy's capacity could never be admitted."""


class StoreUnavailable(ThrottlingError, ServiceUnavailable):
    """The counter store (Redis, cache) could not be reached; the failure mode applies."""


class Throttled(ThrottlingError, _RatelimitedBase):
    """A request was limited. Subclasses django-ratelimit's ``Ratelimited`` so existing
    handlers (``RATELIMIT_VIEW``, ``except Ratelimited``) keep working."""

    def __init__(self, decision: Decision | None = None, *args: Any) -> None:
        super().__init__(*args or ("Rate limit exceeded",))
        self.decision = decision


#: Exceptions the middleware turns into a 429: django-ratelimit's ``Ratelimited`` (which our
#: ``Throttled`` subclasses) or, without django-ratelimit, ``Throttled`` alone.
RATELIMITED: tuple[type[Exception], ...] = (
    (_RatelimitedBase,) if _HAS_DJANGO_RATELIMIT else (Throttled,)
)
