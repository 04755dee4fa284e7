"""Request-side helpers: bypass rules, per-request resolution, headers and 429 responses."""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from forge_suite.core.proxies import client_ip
from forge_suite.throttling.conf import app_settings
from forge_suite.throttling.decision import Decision
from forge_suite.throttling.exceptions import InvalidPolicy, Throttled
from forge_suite.throttling.policy import UNLIMITED, Policy

__all__ = [
    "apply_headers",
    "is_bypassed",
    "resolve_for_request",
    "throttled_response",
]

#: Attribute of the request holding this request's decisions (for the headers).
DECISIONS_ATTR = "_forge_throttle_decisions"


@lru_cache(maxsize=32)
def _networks(cidrs: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def is_bypassed(request: HttpRequest) -> bool:
    """Trusted networks (of the client address behind trusted proxies), the secret header
    (constant-time compare), staff or a permission."""
    trusted = tuple(app_settings.TRUSTED_IPS)
    if trusted:
        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            address = None
        if address is not None and any(address in net for net in _networks(trusted)):
            return True
    header, secret = app_settings.BYPASS_HEADER, app_settings.BYPASS_SECRET
    if header and secret:
        sent = request.headers.get(header, "")
        if sent and hmac.compare_digest(sent.encode(), secret.encode()):
            return True
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        if app_settings.BYPASS_STAFF and user.is_staff:
            return True
        permission = app_settings.BYPASS_PERMISSION
        if permission and user.has_perm(permission):
            return True
    return False


def resolve_for_request(policy: Policy, request: HttpRequest) -> Policy:
    """Apply the ``RESOLVER`` hook (tiers): returns the policy to use for this request."""
    resolver = app_settings.RESOLVER
    if resolver is None:
        return policy
    result = resolver(request, policy)
    if result is None:
        return policy
    if result is UNLIMITED:
        return policy.replace(rate=None)
    if isinstance(result, Policy):
        return result
    if isinstance(result, str):
        return policy.replace(rate=result)
    raise InvalidPolicy(
        f"RESOLVER returned {result!r} for policy {policy.name!r}; return a Policy, a rate "
        "string, UNLIMITED or None"
    )


def remember(request: HttpRequest, decision: Decision) -> None:
    decisions = getattr(request, DECISIONS_ATTR, None)
    if decisions is None:
        decisions = []
        setattr(request, DECISIONS_ATTR, decisions)
    decisions.append(decision)


def _sf_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def header_values(decisions: Iterable[Decision]) -> dict[str, str]:
    """The configured rate-limit header fields for ``decisions`` (limited ones first)."""
    shown = [d for d in decisions if not d.unlimited and d.error is None]
    if not shown:
        return {}
    styles = app_settings.HEADERS
    headers: dict[str, str] = {}
    if "ietf" in styles:
        # draft-ietf-httpapi-ratelimit-headers: structured-field lists, one item per policy.
        headers["RateLimit-Policy"] = ", ".join(
            f"{_sf_string(d.policy)};q={d.limit};w={int(d.period)}" for d in shown
        )
        headers["RateLimit"] = ", ".join(
            f"{_sf_string(d.policy)};r={d.remaining};t={d.reset_header}" for d in shown
        )
    if "x-ratelimit" in styles:
        tightest = min(shown, key=lambda d: (d.allowed, d.remaining))
        headers["X-RateLimit-Limit"] = str(tightest.limit)
        headers["X-RateLimit-Remaining"] = str(tightest.remaining)
        headers["X-RateLimit-Reset"] = str(tightest.reset_header)
    return headers


def apply_headers(response: HttpResponse, decisions: Sequence[Decision]) -> HttpResponse:
    for name, value in header_values(decisions).items():
        if name not in response:
            response[name] = value
    limited = [d for d in decisions if d.blocked and d.retry_after is not None]
    if limited and "Retry-After" not in response:
        response["Retry-After"] = str(max(d.retry_after_header or 1 for d in limited))
    return response


def throttled_response(request: HttpRequest, decisions: Sequence[Decision]) -> HttpResponse:
    """429 with headers, JSON or HTML by content negotiation; ``RATELIMIT_VIEW`` if set."""
    blocked = [d for d in decisions if d.blocked] or list(decisions)
    view_path = getattr(settings, "RATELIMIT_VIEW", None)
    if view_path:
        view = import_string(view_path) if isinstance(view_path, str) else view_path
        exc = Throttled(blocked[0] if blocked else None)
        return apply_headers(view(request, exc), decisions)
    retry = max((d.retry_after_header or 1) for d in blocked) if blocked else None
    policy = blocked[0].policy if blocked else ""
    preferred = request.get_preferred_type(["text/html", "application/json"])
    if preferred == "application/json" or (
        preferred is None and "json" in request.headers.get("Accept", "")
    ):
        body = json.dumps({"detail": "Too many requests.", "policy": policy, "retry_after": retry})
        response = HttpResponse(body, status=429, content_type="application/json")
    else:
        html = render_to_string(
            "forge_throttling/429.html", {"retry_after": retry, "policy": policy}, request
        )
        response = HttpResponse(html, status=429)
    return apply_headers(response, decisions)
