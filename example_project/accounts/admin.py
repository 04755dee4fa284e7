from __future__ import annotations

from django.contrib import admin

from example_project.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "location", "is_verified", "created_at"]
    list_filter = ["is_verified", "created_at"]
    search_fields = ["display_name", "user__username", "user__email", "location"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
