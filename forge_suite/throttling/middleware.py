"""The middleware: applies scoped policies, adds headers, turns ``Ratelimited`` into 429."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

from forge_suite.throttling.api import declared_policies
from forge_suite.throttling.conf import app_settings
from forge_suite.throttling.exceptions import RATELIMITED
from forge_suite.throttling.http import DECISIONS_ATTR, apply_headers, throttled_response
from forge_suite.throttling.pipeline import decide
from forge_suite.throttling.policy import Policy

__all__ = ["ThrottleMiddleware", "matches"]


def matches(policy: Policy, request: HttpRequest, view_func: Any = None) -> bool:
    """Whether ``policy``'s scope (paths or views, then methods) covers ``request``."""
    if policy.methods and request.method not in policy.methods:
        return False
    if policy.paths and any(fnmatchcase(request.path_info, p) for p in policy.paths):
        return True
    if policy.views:
        match = getattr(request, "resolver_match", None)
        names = set()
        if match is not None:
            names.add(match._func_path)
            if match.view_name:
                names.add(match.view_name)
        if view_func is not None:
            names.add(f"{view_func.__module__}.{getattr(view_func, '__qualname__', '')}")
        return any(v in names for v in policy.views)
    return False


class ThrottleMiddleware:
    """Add after ``AuthenticationMiddleware`` so ``user`` keys and staff bypass work."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return self._finish(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        return self._finish(request, await self.get_response(request))

    @staticmethod
    def _finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        decisions = getattr(request, DECISIONS_ATTR, None)
        if decisions:
            apply_headers(response, decisions)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not app_settings.ENABLED:
            return None
        scoped = [p for p in declared_policies().values() if p.scoped]
        matching = [p for p in scoped if matches(p, request, view_func)]
        if not matching:
            return None
        blocked = False
        for declared in matching:
            blocked = decide(declared, request).blocked or blocked
        if blocked:
            return throttled_response(request, getattr(request, DECISIONS_ATTR))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """``Ratelimited`` from our decorator or django-ratelimit's becomes a 429."""
        if not isinstance(exception, RATELIMITED):
            return None
        return throttled_response(request, getattr(request, DECISIONS_ATTR, None) or [])
