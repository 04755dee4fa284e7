from __future__ import annotations

from django.contrib import admin
from django.urls import path

from tests.throttling import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/ping/", views.ping, name="api-ping"),
    path("tiered/", views.ping, name="tiered"),
    path("logonly/", views.ping, name="logonly"),
    path("decorated/", views.decorated),
    path("not-blocking/", views.not_blocking),
    path("async-decorated/", views.async_decorated),
    path("legacy/", views.legacy),
]

try:
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from forge_suite.throttling.drf import ScopedRateThrottle, UserRateThrottle

    class DrfUserView(APIView):
        throttle_classes = [UserRateThrottle]

        def get(self, request: object) -> Response:
            return Response({"ok": True})

    class DrfScopedView(APIView):
        throttle_classes = [ScopedRateThrottle]
        throttle_scope = "uploads"

        def get(self, request: object) -> Response:
            return Response({"ok": True})

    urlpatterns += [
        path("drf/user/", DrfUserView.as_view()),
        path("drf/scoped/", DrfScopedView.as_view()),
    ]
except ImportError:  # pragma: no cover - the api extra is not installed
    pass
