"""``include("forge_suite.observability.urls")`` at the site root gives ``/health/``,
``/health/ready``, ``/health/live`` and ``/metrics``."""

from __future__ import annotations

from django.urls import path

from forge_suite.observability import views

app_name = "forge_observability"

urlpatterns = [
    path("health/", views.HealthView.as_view(), name="health"),
    path("health/ready", views.ReadyView.as_view(), name="ready"),
    path("health/live", views.live, name="live"),
    path("metrics", views.metrics_view, name="metrics"),
]
