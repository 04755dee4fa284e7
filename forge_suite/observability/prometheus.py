"""Settings helpers that wire django-prometheus into a project.

::

    INSTALLED_APPS += ["django_prometheus"]
    MIDDLEWARE = with_middleware(MIDDLEWARE)      # request metrics + request ids
    DATABASES = instrument_databases(DATABASES)   # query and connection metrics
    CACHES = instrument_caches(CACHES)            # hit/miss metrics

Model metrics come from django-prometheus' ``ExportModelOperationsMixin("name")`` on a model.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["instrument_caches", "instrument_databases", "with_middleware"]

BEFORE = "django_prometheus.middleware.PrometheusBeforeMiddleware"
AFTER = "django_prometheus.middleware.PrometheusAfterMiddleware"
REQUEST_ID = "forge_suite.observability.middleware.RequestIdMiddleware"

DB_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.mysql": "django_prometheus.db.backends.mysql",
    "django.contrib.gis.db.backends.postgis": "django_prometheus.db.backends.postgis",
    "django.contrib.gis.db.backends.spatialite": "django_prometheus.db.backends.spatialite",
}

CACHE_BACKENDS = {
    "django.core.cache.backends.locmem.LocMemCache": (
        "django_prometheus.cache.backends.locmem.LocMemCache"
    ),
    "django.core.cache.backends.filebased.FileBasedCache": (
        "django_prometheus.cache.backends.filebased.FileBasedCache"
    ),
    "django.core.cache.backends.memcached.PyMemcacheCache": (
        "django_prometheus.cache.backends.memcached.PyMemcacheCache"
    ),
    "django.core.cache.backends.memcached.PyLibMCCache": (
        "django_prometheus.cache.backends.memcached.PyLibMCCache"
    ),
}
# django-prometheus' module for Django's own Redis cache imports django-redis.
if importlib.util.find_spec("django_redis") is not None:  # pragma: no cover - not installed here
    CACHE_BACKENDS["django.core.cache.backends.redis.RedisCache"] = (
        "django_prometheus.cache.backends.redis.NativeRedisCache"
    )


def with_middleware(middleware: Sequence[str], *, request_id: bool = True) -> list[str]:
    """``middleware`` wrapped by django-prometheus' before/after pair, request ids first."""
    inner = [m for m in middleware if m not in {BEFORE, AFTER, REQUEST_ID}]
    head = [BEFORE, REQUEST_ID] if request_id else [BEFORE]
    return [*head, *inner, AFTER]


def instrument_databases(databases: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A copy of ``DATABASES`` whose engines record django-prometheus' database metrics."""
    result: dict[str, dict[str, Any]] = {}
    for alias, config in databases.items():
        copy = dict(config)
        engine = copy.get("ENGINE", "")
        copy["ENGINE"] = DB_ENGINES.get(engine, engine)
        result[alias] = copy
    return result


def instrument_caches(caches: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A copy of ``CACHES`` whose backends record hit/miss metrics where one exists."""
    result: dict[str, dict[str, Any]] = {}
    for alias, config in caches.items():
        copy = dict(config)
        backend = copy.get("BACKEND", "")
        copy["BACKEND"] = CACHE_BACKENDS.get(backend, backend)
        result[alias] = copy
    return result
