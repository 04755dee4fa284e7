"""Shared plumbing for the Forge Suite apps: settings, checks, Redis, Celery, exceptions.

Import from the submodules (``forge_suite.core.redis``, ``forge_suite.core.rates``, ...). The
names below are kept here for compatibility; the Redis ones load ``redis`` only when used, so
importing the settings machinery stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_suite.core.conf import AppSettings, Option, forge_settings
from forge_suite.core.exceptions import ForgeError, MissingDependency
from forge_suite.core.exports import lazy_dir, lazy_exports

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

_EXPORTS = {"get_redis": "forge_suite.core.redis", "ping_redis": "forge_suite.core.redis"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__dir__ = lazy_dir(__name__, _EXPORTS)
