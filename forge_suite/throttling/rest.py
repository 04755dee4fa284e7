"""The throttling endpoint of the API (mounted under ``throttling/``): the caller's usage.

``GET usage/`` lists, for every declared policy and the API's own limit, what the calling
client (its OAuth2 client, user or IP, by each policy's key) has used and has left, read
without counting a hit. Scope ``throttling:read``; any signed-in session user may read theirs.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forge_suite.api.views import ForgeApiMixin, api_policy, mark_client
from forge_suite.throttling.policy import Policy, resolve_key
from forge_suite.throttling.state import declared_policies, get_policy, get_store

__all__ = ["UsageView", "urlpatterns"]


class UsageSerializer(serializers.Serializer[Any]):
    policy = serializers.CharField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    used = serializers.IntegerField()
    reset_after = serializers.FloatField(help_text="seconds until the full limit is back")
    error = serializers.CharField(allow_null=True, help_text="the store failed; figures unknown")


class UsageView(ForgeApiMixin, APIView):
    """How much of each rate limit the caller has used, without using any."""

    user_scoped = True  # the user's own inbox/files/usage/subscriptions
    read_scopes = ("throttling:read",)

    @extend_schema(responses={200: UsageSerializer(many=True)})
    def get(self, request: Request) -> Response:
        mark_client(request)
        django_request = request._request
        policies: list[Policy] = [get_policy(name) for name in sorted(declared_policies())]
        own = api_policy()
        if own is not None:
            policies.append(own)
        store = get_store()
        rows = []
        for policy in policies:
            decision = store.peek(policy, resolve_key(policy, django_request))
            rows.append(
                {
                    "policy": policy.name,
                    "limit": decision.limit,
                    "remaining": decision.remaining,
                    "used": max(decision.limit - decision.remaining, 0),
                    "reset_after": round(decision.reset_after, 3),
                    "error": decision.error,
                }
            )
        return Response(UsageSerializer(rows, many=True).data)


urlpatterns = [path("usage/", UsageView.as_view(), name="forge-api-throttling-usage")]
