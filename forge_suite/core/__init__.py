"""Shared plumbing for the Forge Suite apps: settings, checks, Redis, Celery, exceptions."""

from forge_suite.core.conf import AppSettings, Option, forge_settings
from forge_suite.core.exceptions import ForgeError, MissingDependency
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
