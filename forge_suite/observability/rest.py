"""The health summary endpoint of the API (mounted under ``health/``)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forge_suite.api.views import ForgeApiMixin
from forge_suite.observability import health

__all__ = ["HealthSummaryView", "urlpatterns"]


class HealthSummaryView(ForgeApiMixin, APIView):
    """Every configured component checked now (within ``HEALTH_TIMEOUT``); 503 when one fails.

    The same report as ``/health/`` (draft-inadarei health+json), for API clients holding the
    ``health:read`` scope; session users need to be staff (``is_staff``).
    """

    read_scopes = ("health:read",)

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if request.auth is None and not request.user.is_staff:
            self.permission_denied(request, message="Staff only.")

    @extend_schema(
        responses={
            200: inline_serializer(
                "HealthReport",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
            503: inline_serializer(
                "HealthFailure",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
        }
    )
    def get(self, request: Request) -> Response:
        report = health.run_sync("all")
        return Response(report.as_health_json(), status=report.http_status)


urlpatterns = [path("", HealthSummaryView.as_view(), name="health-summary")]
