"""``@ratelimit``: django-ratelimit's decorator arguments, our algorithms and headers."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

from forge_suite.throttling import dynamic
from forge_suite.throttling.api import acheck, aget_policy, check, get_policy
from forge_suite.throttling.conf import app_settings
from forge_suite.throttling.decision import Decision
from forge_suite.throttling.exceptions import Throttled
from forge_suite.throttling.http import is_bypassed, remember, resolve_for_request
from forge_suite.throttling.policy import KeyType, Policy, resolve_key

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

        def build(request: HttpRequest, declared: Policy | None) -> tuple[Policy, str] | None:
            if methods is not None and request.method not in methods:
                return None
            if not app_settings.ENABLED or is_bypassed(request):
                return None
            if declared is None:
                value = rate
                if isinstance(value, str) and "/" not in value and "." in value:
                    value = import_string(value)
                if callable(value):
                    value = value(name, request)
                if value is None:
                    return None
                declared = dynamic.apply(
                    Policy(name, value, algorithm=algorithm, burst=burst, key=key or "ip"),
                    dynamic.overrides(),
                )
            resolved = resolve_for_request(declared, request)
            if resolved.unlimited:
                return None
            return resolved, resolve_key(resolved, request, name)

        def settle(request: HttpRequest, decision: Decision) -> None:
            remember(request, decision)
            request.limited = getattr(request, "limited", False) or decision.limited  # type: ignore[attr-defined]
            if decision.blocked and block:
                raise Throttled(decision)

        if iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                declared = await aget_policy(policy) if policy else None
                from asgiref.sync import sync_to_async

                built = await sync_to_async(build)(request, declared)
                if built is not None:
                    settle(request, await acheck(built[0], built[1]))
                else:
                    request.limited = getattr(request, "limited", False)  # type: ignore[attr-defined]
                return await fn(request, *args, **kwargs)

            return async_wrapped

        @functools.wraps(fn)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            built = build(request, get_policy(policy) if policy else None)
            if built is not None:
                settle(request, check(built[0], built[1]))
            else:
                request.limited = getattr(request, "limited", False)  # type: ignore[attr-defined]
            return fn(request, *args, **kwargs)

        return wrapped

    return decorator


ratelimit.ALL = ALL  # type: ignore[attr-defined]
ratelimit.UNSAFE = UNSAFE  # type: ignore[attr-defined]
