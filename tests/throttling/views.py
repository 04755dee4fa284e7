"""Views and hooks used by the throttling HTTP tests."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django_ratelimit.decorators import ratelimit as legacy_ratelimit

from forge_suite.throttling import UNLIMITED, Policy, ratelimit


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pong")


@ratelimit(key="ip", rate="2/m")
def decorated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@ratelimit(key="ip", rate="1/m", block=False, method="POST")
def not_blocking(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"limited": request.limited})  # type: ignore[attr-defined]


@ratelimit(policy="login")
async def async_decorated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("async ok")


@legacy_ratelimit(key="ip", rate="1/m")
def legacy(request: HttpRequest) -> HttpResponse:
    return HttpResponse("legacy ok")


def custom_ratelimited_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse("slow down please", status=429)


TIERS = {"free": "3/h", "pro": "6/h"}


def tier_resolver(request: HttpRequest, policy: Policy) -> Any:
    """Limits by subscription tier, read from the user's groups."""
    if policy.name != "tiered" or not request.user.is_authenticated:
        return None
    groups = set(request.user.groups.values_list("name", flat=True))
    if "enterprise" in groups:
        return UNLIMITED
    return TIERS["pro"] if "pro" in groups else TIERS["free"]


def get_api_key(group: str, request: HttpRequest) -> str:
    return request.headers.get("X-Api-Key", "anonymous")
