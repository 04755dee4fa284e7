"""Admin: runtime limit overrides, and a page of the busiest keys per policy with reset."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from forge_suite.throttling import api
from forge_suite.throttling.exceptions import StoreUnavailable, UnknownPolicy
from forge_suite.throttling.models import RateLimitOverride


@admin.register(RateLimitOverride)
class RateLimitOverrideAdmin(admin.ModelAdmin):
    list_display = [
        "policy",
        "rate",
        "burst",
        "algorithm",
        "mode",
        "unlimited",
        "enabled",
        "updated_at",
    ]
    list_filter = ["enabled", "unlimited", "algorithm", "mode"]
    search_fields = ["policy", "note"]
    readonly_fields = ["updated_at"]
    change_list_template = "forge_throttling/admin/override_change_list.html"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("top-keys/", view(self.top_keys_view), name="forge_throttling_top_keys"),
            path(
                "top-keys/reset/",
                view(self.reset_key_view),
                name="forge_throttling_reset_key",
            ),
            *super().get_urls(),
        ]

    def top_keys_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        store = api.get_store()
        rows: list[dict[str, Any]] = []
        for name in sorted(api.declared_policies()):
            policy = api.get_policy(name)
            row: dict[str, Any] = {"policy": policy, "keys": [], "error": None}
            if policy.unlimited:
                row["error"] = "unlimited"
            elif not store.supports_top_keys:
                row["error"] = f"{type(store).__name__} cannot list keys"
            else:
                try:
                    row["keys"] = store.top_keys(policy, count=20)
                except StoreUnavailable as exc:
                    row["error"] = str(exc)
            rows.append(row)
        context = {
            **self.admin_site.each_context(request),
            "title": "Top keys per policy",
            "opts": self.model._meta,
            "rows": rows,
            "store": type(store).__name__,
            "can_reset": self.has_change_permission(request),
        }
        return TemplateResponse(request, "forge_throttling/admin/top_keys.html", context)

    def reset_key_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        name, key = request.POST.get("policy", ""), request.POST.get("key", "")
        try:
            api.reset(name, key)
        except UnknownPolicy as exc:
            messages.error(request, str(exc))
        except StoreUnavailable as exc:
            messages.error(request, f"Could not reset: {exc}")
        else:
            messages.success(request, f"Reset key {key!r} of policy {name!r}.")
        return HttpResponseRedirect(reverse("admin:forge_throttling_top_keys"))
