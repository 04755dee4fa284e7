from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from forge_suite.throttling import check, get_policy


def ping(request: HttpRequest) -> JsonResponse:
    """Limited by the "demo-api" policy through the middleware (see the response headers)."""
    return JsonResponse(
        {
            "message": "pong",
            "hint": "Call this more than 5 times a minute to get a 429 with Retry-After.",
        }
    )


def quota(request: HttpRequest) -> JsonResponse:
    """The non-HTTP API: check() against a declared policy, as a Celery job or consumer would."""
    decision = check(get_policy("demo-jobs"), key=request.META.get("REMOTE_ADDR", "anonymous"))
    return JsonResponse(
        {
            "allowed": decision.allowed,
            "limit": decision.limit,
            "remaining": decision.remaining,
            "reset_after": decision.reset_after,
            "retry_after": decision.retry_after,
        },
        status=200 if decision.allowed else 429,
    )
