"""URLs of the core-only test run (tox's noextras env): no app views to import."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
