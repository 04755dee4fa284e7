"""Shared plumbing for the Forge Suite apps: settings, checks, Redis, Celery, exceptions.

Import from the submodules (``forge_suite.core.redis``, ``forge_suite.core.rates``, ...). The
names below are kept here for compatibility; the Redis ones load ``redis`` only when used, so
importing the settings machinery stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forge_suite.core.conf import AppSettings, Option, forge_settings
from forge_suite.core.exceptions import ForgeError, MissingDependency

if TYPE_CHECKING:
    from forge_suite.core.redis import get_redis, ping_redis

__all__ = [
    "AppSettings",
    "ForgeError",
    "MissingDependency",
    "Option",
    "forge_settings",
    "get_redis",
    "ping_redis",
]


def __getattr__(name: str) -> Any:
    if name in {"get_redis", "ping_redis"}:
        from forge_suite.core import redis

        return getattr(redis, name)
    raise AttributeError(f"module 'forge_suite.core' has no attribute {name!r}")
