"""The public, async-safe API: ``check(policy, key)`` -> :class:`Decision`."""

from __future__ import annotations

from collections.abc import Iterable

from forge_suite.throttling import pipeline
from forge_suite.throttling.decision import Decision
from forge_suite.throttling.policy import Policy
from forge_suite.throttling.state import (
    aget_policy,
    declared_policies,
    get_breaker,
    get_policy,
    get_store,
    register,
    set_store,
)

__all__ = [
    "acheck",
    "acheck_all",
    "aget_policy",
    "check",
    "check_all",
    "declared_policies",
    "get_breaker",
    "get_policy",
    "get_store",
    "register",
    "reset",
    "set_store",
]


def check(policy: Policy | str, key: str, *, cost: int = 1) -> Decision:
    """Count one hit (``cost`` units) of ``key`` against ``policy`` and return the decision.

    ``policy`` is a :class:`Policy` or the name of a declared one; an admin-edited override
    of that name applies either way. Never raises because the store is down:
    ``FAILURE_MODE`` decides and the problem is logged.
    """
    return pipeline.decide(policy, str(key), cost=cost)


async def acheck(policy: Policy | str, key: str, *, cost: int = 1) -> Decision:
    """:func:`check` for async callers (WebSocket consumers, async views): no blocking I/O."""
    return await pipeline.adecide(policy, str(key), cost=cost)


def check_all(limits: Iterable[tuple[Policy | str, str]], *, cost: int = 1) -> list[Decision]:
    """Several limits at once, all or nothing (one Redis round trip): see
    :func:`forge_suite.throttling.pipeline.decide_all`. The hit is allowed when every
    returned decision is."""
    return pipeline.decide_all(limits, cost=cost)


async def acheck_all(
    limits: Iterable[tuple[Policy | str, str]], *, cost: int = 1
) -> list[Decision]:
    """:func:`check_all` for async callers."""
    return await pipeline.adecide_all(limits, cost=cost)


def reset(policy: Policy | str, key: str) -> None:
    """Forget ``key``'s counters under ``policy`` (admin "reset", support tools)."""
    resolved = get_policy(policy) if isinstance(policy, str) else policy
    get_store().reset(resolved, str(key))
