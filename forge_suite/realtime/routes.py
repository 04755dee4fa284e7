"""Channel authorization routes declared in code, like Laravel's ``routes/channels.php``::

    from forge_suite.realtime import channel

    @channel("chat.{room_id}")
    def chat(user, room_id):
        return {"name": user.get_username()}   # presence member info, or True/False

A route matches the channel name without its ``private-``/``presence-`` prefix. Placeholders
match one dot-free segment and are passed as keyword arguments.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async

__all__ = ["ChannelRoute", "authorize", "channel", "clear_routes", "find_route"]

Authorizer = Callable[..., Any]


@dataclass(frozen=True)
class ChannelRoute:
    pattern: str
    regex: re.Pattern[str]
    callback: Authorizer


_ROUTES: list[ChannelRoute] = []
_loaded = False


def _compile(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", pattern)
    regex = "".join(
        f"(?P<{part[1:-1]}>[^.]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(f"^{regex}$")


def channel(pattern: str) -> Callable[[Authorizer], Authorizer]:
    """Declare who may join channels matching ``pattern`` (``"orders.{order_id}"``).

    The decorated function gets ``(user, **placeholders)`` and returns False/None to refuse,
    True to allow a private channel, or a dict of member info for a presence channel. It may
    be a coroutine function.
    """

    def decorator(func: Authorizer) -> Authorizer:
        _ROUTES[:] = [r for r in _ROUTES if r.pattern != pattern]
        _ROUTES.append(ChannelRoute(pattern, _compile(pattern), func))
        return func

    return decorator


def clear_routes() -> None:
    """Forget every route (tests)."""
    _ROUTES.clear()


def load_channel_modules() -> None:
    """Import ``FORGE["REALTIME"]["CHANNEL_MODULES"]`` once so their ``@channel`` run."""
    global _loaded
    if _loaded:
        return
    from forge_suite.realtime.conf import app_settings

    for module in app_settings.CHANNEL_MODULES:
        importlib.import_module(module)
    _loaded = True


def strip_prefix(channel_name: str) -> str:
    for prefix in ("private-encrypted-", "private-", "presence-"):
        if channel_name.startswith(prefix):
            return channel_name[len(prefix) :]
    return channel_name


def find_route(channel_name: str) -> tuple[ChannelRoute, dict[str, str]] | None:
    """The route matching ``channel_name`` and its placeholder values, or None."""
    load_channel_modules()
    bare = strip_prefix(channel_name)
    for route in reversed(_ROUTES):
        match = route.regex.match(bare)
        if match:
            return route, match.groupdict()
    return None


async def authorize(user: Any, channel_name: str) -> Any:
    """Run the matching route for ``user``; False when no route matches."""
    found = find_route(channel_name)
    if found is None:
        return False
    route, kwargs = found
    if inspect.iscoroutinefunction(route.callback):
        return await route.callback(user, **kwargs)
    return await sync_to_async(route.callback)(user, **kwargs)


def authorize_sync(user: Any, channel_name: str) -> Any:
    """Synchronous :func:`authorize` for views and scripts."""
    found = find_route(channel_name)
    if found is None:
        return False
    route, kwargs = found
    if inspect.iscoroutinefunction(route.callback):
        from asgiref.sync import async_to_sync

        return async_to_sync(route.callback)(user, **kwargs)
    return route.callback(user, **kwargs)
