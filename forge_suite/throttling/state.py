"""The throttling app's process state: declared policies, the store, the circuit breaker,
and the decisions made without the store (unlimited, failure mode). Below the pipeline."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from forge_suite.core.conf import forge_settings
from forge_suite.core.metrics import metrics
from forge_suite.throttling import dynamic
from forge_suite.throttling.breaker import CircuitBreaker
from forge_suite.throttling.conf import app_settings
from forge_suite.throttling.decision import Decision
from forge_suite.throttling.exceptions import InvalidPolicy, StoreUnavailable, UnknownPolicy
from forge_suite.throttling.policy import Policy
from forge_suite.throttling.stores import CacheStore, MemoryStore, RedisStore, Store

__all__ = [
    "aget_policy",
    "declared_policies",
    "declared_policy",
    "failed",
    "get_breaker",
    "get_policy",
    "get_store",
    "record",
    "register",
    "set_store",
    "unlimited_decision",
]

logger = logging.getLogger("forge_suite.throttling")

_registered: dict[str, Policy] = {}
_cache: dict[str, Any] = {}
#: A store installed with set_store(); survives settings reloads (tests override FORGE).
_installed: list[Store] = []
_lock = threading.Lock()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in {"FORGE", "CACHES"}:
        _cache.clear()
        dynamic.invalidate()


setting_changed.connect(_reload, dispatch_uid="forge_suite.throttling.state.reload")


def register(policy: Policy) -> Policy:
    """Make a policy declared in code usable by name (``check("name", key)``, the decorator)."""
    if not isinstance(policy, Policy):
        raise TypeError(f"register() takes a Policy, got {type(policy).__name__}")
    _registered[policy.name] = policy
    return policy


def declared_policies() -> dict[str, Policy]:
    """Policies from ``FORGE["THROTTLING"]["POLICIES"]`` and :func:`register`, by name."""
    declared = _cache.get("policies")
    if declared is None:
        declared = {}
        for name, spec in (app_settings.POLICIES or {}).items():
            try:
                declared[name] = Policy.from_dict(name, spec)
            except InvalidPolicy as exc:
                raise ImproperlyConfigured(f'FORGE["THROTTLING"]["POLICIES"]: {exc}') from exc
        _cache["policies"] = declared
    return {**declared, **_registered}


def declared_policy(name: str) -> Policy:
    """The policy declared under ``name`` (settings or :func:`register`), without override."""
    policy = declared_policies().get(name)
    if policy is None:
        known = ", ".join(sorted(declared_policies())) or "none"
        raise UnknownPolicy(
            f"unknown throttling policy {name!r} (declared: {known}); declare it in "
            'FORGE["THROTTLING"]["POLICIES"] or with forge_suite.throttling.register()'
        )
    return policy


def get_policy(name: str) -> Policy:
    """The named policy with any admin-edited override applied."""
    return dynamic.apply(declared_policy(name), dynamic.overrides())


async def aget_policy(name: str) -> Policy:
    return dynamic.apply(declared_policy(name), await dynamic.aoverrides())


def get_store() -> Store:
    """The configured store (``FORGE["THROTTLING"]["STORE"]``), one per process."""
    if _installed:
        return _installed[0]
    store = _cache.get("store")
    if store is None:
        with _lock:
            store = _cache.get("store")
            if store is None:
                store = _build_store()
                _cache["store"] = store
    return store


def set_store(store: Store | None) -> None:
    """Use ``store`` from now on (tests, custom wiring); None goes back to the setting."""
    _installed.clear()
    _cache.pop("breaker", None)  # a new store starts with a closed breaker
    if store is not None:
        _installed.append(store)


def get_breaker() -> CircuitBreaker:
    """The circuit breaker in front of the store (``BREAKER_FAILURES``, ``BREAKER_COOLDOWN``)."""
    breaker = _cache.get("breaker")
    if breaker is None:
        with _lock:
            breaker = _cache.get("breaker")
            if breaker is None:
                breaker = CircuitBreaker(
                    app_settings.BREAKER_FAILURES, float(app_settings.BREAKER_COOLDOWN)
                )
                _cache["breaker"] = breaker
    return breaker


def _build_store() -> Store:
    kind = app_settings.STORE
    prefix = app_settings.KEY_PREFIX
    redis_url = app_settings.REDIS_URL or forge_settings.REDIS_URL
    if kind == "auto":
        kind = "redis" if redis_url else "cache"
    if kind == "redis":
        if not redis_url:
            raise ImproperlyConfigured(
                'FORGE["THROTTLING"]["STORE"] is "redis" but no Redis URL is set: set '
                'FORGE["REDIS_URL"] or FORGE["THROTTLING"]["REDIS_URL"].'
            )
        timeout = app_settings.REDIS_TIMEOUT
        return RedisStore(
            redis_url,
            prefix=prefix,
            timeout=None if timeout is None else float(timeout),
            connect_timeout=float(app_settings.REDIS_CONNECT_TIMEOUT),
        )
    if kind == "cache":
        return CacheStore(app_settings.CACHE_ALIAS, prefix=prefix)
    if kind == "memory":
        return MemoryStore(prefix=prefix)
    try:
        cls = import_string(kind)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f'FORGE["THROTTLING"]["STORE"] = {kind!r}: not redis, cache, memory, auto or an '
            f"importable Store class ({exc})"
        ) from exc
    store: Store = cls(prefix=prefix)
    return store


def unlimited_decision(policy: Policy, key: str) -> Decision:
    """An allowing decision that no limit applied to (disabled, unlimited, bypassed)."""
    return Decision(
        allowed=True,
        limit=0,
        remaining=0,
        reset_after=0.0,
        policy=policy.name,
        key=key,
        mode=policy.mode,
        unlimited=True,
    )


def failed(policy: Policy, key: str, exc: StoreUnavailable, *, log: bool = True) -> Decision:
    """The decision ``FAILURE_MODE`` makes when the store failed (logged unless ``log=False``:
    the open circuit breaker logs once instead of once per request)."""
    allowed = app_settings.FAILURE_MODE == "open"
    if log:
        logger.warning(
            "throttling store unavailable for policy %r; failing %s: %s",
            policy.name,
            "open" if allowed else "closed",
            exc,
        )
    return Decision(
        allowed=allowed,
        limit=policy.capacity,
        remaining=policy.capacity if allowed else 0,
        reset_after=float(policy.period),
        retry_after=None if allowed else float(policy.period),
        policy=policy.name,
        key=key,
        period=float(policy.period),
        mode=policy.mode,
        error=str(exc),
    )


def record(decision: Decision) -> Decision:
    """Count ``decision`` in the suite's metrics (limits that applied only)."""
    if not decision.unlimited:
        metrics().record_throttle_decision(decision.policy, decision.allowed)
    return decision
