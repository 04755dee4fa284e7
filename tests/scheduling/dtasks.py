"""Functions decorated with Django's ``@task`` that the worker tests enqueue."""

from __future__ import annotations

from typing import Any

from tests.scheduling.jobs import _redis

try:  # Django 6.0+
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2 + django-tasks
    from django_tasks import task

#: The TASKS setting of these tests (the same as in worker_settings).
FORGE_TASKS = {
    "default": {
        "BACKEND": "forge_suite.scheduling.tasks_backend.ForgeBackend",
        "OPTIONS": {"MAX_RETRIES": 1},
    }
}


@task()
def remember(key: str, value: str) -> str:
    """Append ``value`` to the list ``key``."""
    _redis().rpush(key, value)
    return value


@task(takes_context=True)
def fragile(context: Any, key: str) -> str:
    """Records its attempt number; fails while ``<key>:broken`` exists."""
    client = _redis()
    client.rpush(f"{key}:attempts", context.attempt)
    if client.exists(f"{key}:broken"):
        raise RuntimeError(f"{key} is broken")
    client.rpush(f"{key}:done", "ok")
    return "ok"
