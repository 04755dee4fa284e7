"""Admin-edited limits: loaded in one query, cached per process for a few seconds.

A save in this process drops the cache at once (signal); other processes pick the change up
within ``DYNAMIC_CACHE_SECONDS``, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, TypedDict

from asgiref.sync import sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from django.db import DatabaseError

from forge_suite.throttling.conf import app_settings
from forge_suite.throttling.policy import Policy

logger = logging.getLogger(__name__)

_lock = threading.Lock()


class _State(TypedDict):
    loaded_at: float | None  # time.monotonic() of the last load; None forces a reload
    data: dict[str, dict[str, Any]]


_state: _State = {"loaded_at": None, "data": {}}
#: Overrides set by ``testing.override_limits``, applied over the admin-edited ones.
forced: dict[str, dict[str, Any]] = {}


def invalidate(**kwargs: Any) -> None:
    """Forget the cached overrides (connected to the model's save and delete)."""
    _state["loaded_at"] = None


def _fresh() -> bool:
    loaded = _state["loaded_at"]
    return loaded is not None and time.monotonic() - loaded < app_settings.DYNAMIC_CACHE_SECONDS


def overrides() -> dict[str, dict[str, Any]]:
    """Enabled overrides by policy name."""
    if forced:
        return {**_overrides(), **forced}
    return _overrides()


def _overrides() -> dict[str, dict[str, Any]]:
    if not app_settings.DYNAMIC_LIMITS:
        return {}
    if _fresh():
        return _state["data"]
    with _lock:
        if _fresh():
            return _state["data"]
        from forge_suite.throttling.models import RateLimitOverride

        try:
            rows = RateLimitOverride.objects.filter(enabled=True).values(
                "policy", "rate", "burst", "algorithm", "mode", "unlimited"
            )
            data = {row["policy"]: dict(row) for row in rows}
        except SynchronousOnlyOperation:
            return _state["data"]  # check() called on an event loop: acheck() loads them
        except (DatabaseError, RuntimeError) as exc:
            # Table missing (migrations not run), DB down, or no DB access allowed here (a
            # test without the database): keep serving with the last known overrides.
            logger.warning("could not load rate limit overrides: %s", exc)
            data = _state["data"]
        _state["data"] = data
        _state["loaded_at"] = time.monotonic()
        return data


async def aoverrides() -> dict[str, dict[str, Any]]:
    """:func:`overrides` for async callers (the database is read in a worker thread)."""
    if not app_settings.DYNAMIC_LIMITS or _fresh():
        return overrides()
    return await sync_to_async(overrides)()


def apply(policy: Policy, data: dict[str, dict[str, Any]]) -> Policy:
    """``policy`` with its override (if any) applied; an invalid override is logged and skipped."""
    row = data.get(policy.name)
    if not row:
        return policy
    if row["unlimited"]:
        return policy.replace(rate=None)
    changes: dict[str, Any] = {}
    if row["rate"]:
        changes["rate"] = row["rate"]
    if row["burst"]:
        changes["burst"] = row["burst"]
    if row["algorithm"]:
        changes["algorithm"] = row["algorithm"]
    if row["mode"]:
        changes["mode"] = row["mode"]
    try:
        return policy.replace(**changes) if changes else policy
    except ValueError:
        logger.warning("ignoring invalid override for policy %r: %r", policy.name, row)
        return policy
