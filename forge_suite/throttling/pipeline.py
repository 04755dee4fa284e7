"""The one throttle decision every entry point makes.

``check``/``acheck``, the middleware, ``@ratelimit``, the DRF classes and realtime's client-event
limit all call :func:`decide` (or :func:`adecide`), so they cannot disagree on which limit
applies. The steps, in order:

1. resolve the policy (a name is looked up among the declared ones);
2. apply the admin-edited override of that policy name, if any;
3. for a request: bypass rules (trusted networks, secret header, staff, permission), then the
   ``RESOLVER`` hook (tiers), then the key (``ip``, ``user``...);
4. count the hit in the store; when it fails, or while the circuit breaker is open after
   repeated failures, ``FAILURE_MODE`` decides at once;
5. for a request: remember the decision for the response headers and set ``request.limited``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest

from forge_suite.throttling import dynamic, state
from forge_suite.throttling.conf import app_settings
from forge_suite.throttling.decision import Decision
from forge_suite.throttling.exceptions import StoreUnavailable
from forge_suite.throttling.http import is_bypassed, remember, resolve_for_request
from forge_suite.throttling.policy import Policy, resolve_key

__all__ = ["adecide", "adecide_all", "decide", "decide_all"]

#: A key, or the request whose key the policy's ``key`` convention picks.
Subject = HttpRequest | str


def _policy(policy: Policy | str, overrides: dict[str, dict[str, Any]]) -> Policy:
    declared = state.declared_policy(policy) if isinstance(policy, str) else policy
    return dynamic.apply(declared, overrides) if overrides else declared


def _for_request(
    policy: Policy, request: HttpRequest, group: str | None
) -> tuple[Policy, str] | None:
    """Bypass, resolver and key for ``request``; None when no limit applies to it."""
    if is_bypassed(request):
        return None
    resolved = resolve_for_request(policy, request)
    if resolved.unlimited:
        return None
    return resolved, resolve_key(resolved, request, group)


def _settle(request: HttpRequest | None, decision: Decision) -> Decision:
    if request is not None and not decision.unlimited:
        remember(request, decision)
        if decision.limited:
            request.limited = True  # type: ignore[attr-defined]  # django-ratelimit's flag
    return state.record(decision)


def decide(
    policy: Policy | str, subject: Subject, *, cost: int = 1, group: str | None = None
) -> Decision:
    """Count one hit of ``subject`` (a key, or a request) against ``policy``.

    Never raises because the store is down: ``FAILURE_MODE`` decides (at once while the
    circuit breaker is open) and the problem is logged. ``group`` names the counter group
    of a request key (defaults to the policy name, like django-ratelimit's ``group``).
    """
    if not app_settings.ENABLED:
        return state.unlimited_decision(_policy(policy, {}), _plain_key(subject))
    resolved = _policy(policy, dynamic.overrides())
    request = subject if isinstance(subject, HttpRequest) else None
    if request is not None:
        built = _for_request(resolved, request, group)
        if built is None:
            return state.unlimited_decision(resolved, "")
        resolved, key = built
    else:
        key = str(subject)
    if resolved.unlimited:
        return state.unlimited_decision(resolved, key)
    breaker = state.get_breaker()
    if not breaker.allow():
        return _settle(request, state.failed(resolved, key, breaker.open_error(), log=False))
    try:
        decision = state.get_store().hit(resolved, key, cost)
    except StoreUnavailable as exc:
        breaker.failure()
        return _settle(request, state.failed(resolved, key, exc))
    breaker.success()
    return _settle(request, decision)


async def adecide(
    policy: Policy | str, subject: Subject, *, cost: int = 1, group: str | None = None
) -> Decision:
    """:func:`decide` for async callers: no blocking I/O on the event loop."""
    if not app_settings.ENABLED:
        return state.unlimited_decision(_policy(policy, {}), _plain_key(subject))
    resolved = _policy(policy, await dynamic.aoverrides())
    request = subject if isinstance(subject, HttpRequest) else None
    if request is not None:
        # Bypass rules and resolvers may read request.user (a database query).
        built = await sync_to_async(_for_request)(resolved, request, group)
        if built is None:
            return state.unlimited_decision(resolved, "")
        resolved, key = built
    else:
        key = str(subject)
    if resolved.unlimited:
        return state.unlimited_decision(resolved, key)
    breaker = state.get_breaker()
    if not breaker.allow():
        return _settle(request, state.failed(resolved, key, breaker.open_error(), log=False))
    try:
        decision = await state.get_store().ahit(resolved, key, cost)
    except StoreUnavailable as exc:
        breaker.failure()
        return _settle(request, state.failed(resolved, key, exc))
    breaker.success()
    return _settle(request, decision)


def _plain_key(subject: Subject) -> str:
    return "" if isinstance(subject, HttpRequest) else str(subject)


Limits = Iterable[tuple[Policy | str, str]]


def _prepared(limits: Limits, overrides: dict[str, dict[str, Any]]) -> list[tuple[Policy, str]]:
    return [(_policy(policy, overrides), str(key)) for policy, key in limits]


def _assemble(
    prepared: list[tuple[Policy, str]],
    counted: list[Decision] | StoreUnavailable | None,
    breaker_open: bool = False,
) -> list[Decision]:
    """Decisions in the caller's order: unlimited ones made here, the others from the store
    (or from ``FAILURE_MODE`` when the store failed or the breaker is open)."""
    results = iter(counted) if isinstance(counted, list) else None
    decisions = []
    for policy, key in prepared:
        if policy.unlimited:
            decisions.append(state.unlimited_decision(policy, key))
        elif results is not None:
            decisions.append(state.record(next(results)))
        else:
            error = counted if isinstance(counted, StoreUnavailable) else StoreUnavailable("")
            decisions.append(state.record(state.failed(policy, key, error, log=not breaker_open)))
    return decisions


def decide_all(limits: Limits, *, cost: int = 1) -> list[Decision]:
    """Several limits at once, like Envoy's descriptors (per user *and* global, say).

    ``limits`` is a list of ``(policy, key)``. The hit is admitted only when every limit
    admits it; then all are counted, otherwise none is (atomic on Redis: one script, one
    round trip). Returns one decision per limit, in order; the hit is allowed when all are.
    """
    items = list(limits)
    if not app_settings.ENABLED:
        return [state.unlimited_decision(_policy(p, {}), str(k)) for p, k in items]
    prepared = _prepared(items, dynamic.overrides())
    counted = [(p, k) for p, k in prepared if not p.unlimited]
    if not counted:
        return _assemble(prepared, [])
    breaker = state.get_breaker()
    if not breaker.allow():
        return _assemble(prepared, breaker.open_error(), breaker_open=True)
    try:
        decisions = state.get_store().hit_many(counted, cost)
    except StoreUnavailable as exc:
        breaker.failure()
        return _assemble(prepared, exc)
    breaker.success()
    return _assemble(prepared, decisions)


async def adecide_all(limits: Limits, *, cost: int = 1) -> list[Decision]:
    """:func:`decide_all` for async callers."""
    items = list(limits)
    if not app_settings.ENABLED:
        return [state.unlimited_decision(_policy(p, {}), str(k)) for p, k in items]
    prepared = _prepared(items, await dynamic.aoverrides())
    counted = [(p, k) for p, k in prepared if not p.unlimited]
    if not counted:
        return _assemble(prepared, [])
    breaker = state.get_breaker()
    if not breaker.allow():
        return _assemble(prepared, breaker.open_error(), breaker_open=True)
    try:
        decisions = await state.get_store().ahit_many(counted, cost)
    except StoreUnavailable as exc:
        breaker.failure()
        return _assemble(prepared, exc)
    breaker.success()
    return _assemble(prepared, decisions)
