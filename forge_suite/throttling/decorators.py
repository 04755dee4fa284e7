"""``@ratelimit``: django-ratelimit's decorator arguments, our algorithms and headers."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

from forge_suite.throttling.decision import Decision
from forge_suite.throttling.exceptions import Throttled
from forge_suite.throttling.pipeline import adecide, decide
from forge_suite.throttling.policy import KeyType, Policy

__all__ = ["ALL", "UNSAFE", "ratelimit"]

ALL = None
UNSAFE = ["DELETE", "PATCH", "POST", "PUT"]
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-]")


def _group_of(fn: Callable[..., Any]) -> str:
    return _UNSAFE_NAME.sub("_", f"{fn.__module__}.{fn.__qualname__}")


def ratelimit(
    group: str | None = None,
    key: KeyType | None = None,
    rate: Any = None,
    method: str | list[str] | None = ALL,
    block: bool = True,
    *,
    policy: str | None = None,
    algorithm: str = "fixed_window",
    burst: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Drop-in for ``django_ratelimit.decorators.ratelimit`` (same arguments and
    ``request.limited``; raises a ``Ratelimited`` subclass when ``block``), backed by our stores.

    ``policy="name"`` uses a declared policy instead of ``rate``/``key``. The default algorithm
    is django-ratelimit's fixed window; pass ``algorithm="gcra"`` for a smooth limit.
    """
    if policy is None and not key:
        raise ImproperlyConfigured("ratelimit(): key is required unless policy= names one")
    methods: list[str] | None = None
    if method is not None:
        methods = [m.upper() for m in ([method] if isinstance(method, str) else method)]

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = group or _group_of(fn)
        rate_is_path = isinstance(rate, str) and "/" not in rate and "." in rate
        rate_is_dynamic = rate_is_path or callable(rate)

        def applies(request: HttpRequest) -> bool:
            request.limited = getattr(request, "limited", False)  # type: ignore[attr-defined]
            return methods is None or request.method in methods

        def policy_for(request: HttpRequest) -> Policy | str | None:
            if policy is not None:
                return policy
            value = import_string(rate) if rate_is_path else rate
            if callable(value):
                value = value(name, request)
            if value is None:
                return None
            return Policy(name, value, algorithm=algorithm, burst=burst, key=key or "ip")

        def settle(decision: Decision) -> None:
            if decision.blocked and block:
                raise Throttled(decision)

        if iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if applies(request):
                    if rate_is_dynamic:  # may read request.user (a query)
                        chosen = await sync_to_async(policy_for)(request)
                    else:
                        chosen = policy_for(request)
                    if chosen is not None:
                        settle(await adecide(chosen, request, group=name))
                return await fn(request, *args, **kwargs)

            return async_wrapped

        @functools.wraps(fn)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if applies(request):
                chosen = policy_for(request)
                if chosen is not None:
                    settle(decide(chosen, request, group=name))
            return fn(request, *args, **kwargs)

        return wrapped

    return decorator


ratelimit.ALL = ALL  # type: ignore[attr-defined]
ratelimit.UNSAFE = UNSAFE  # type: ignore[attr-defined]
