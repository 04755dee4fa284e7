"""Admin of stored files (previews, filters, search, actions) and tus uploads (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from forge_suite.files.models import MultipartUpload, StoredFile, TusUpload


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@admin.register(StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "original_name",
        "content_type",
        "size_display",
        "owner",
        "visibility",
        "disk",
        "created",
    ]
    list_display_links = ["thumbnail", "original_name"]
    list_filter = ["visibility", "disk", "content_type", "created"]
    search_fields = ["original_name", "path", "sha256", "key", "owner__username", "owner__email"]
    readonly_fields = [
        "key",
        "disk",
        "path",
        "size",
        "content_type",
        "sha256",
        "created",
        "variants",
        "preview",
    ]
    fields = ["preview", "original_name", "owner", "visibility", "metadata", *readonly_fields[:-1]]
    raw_id_fields = ["owner"]
    date_hierarchy = "created"
    actions = ["regenerate_variants", "delete_with_blobs"]

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # action_location: Django 6.1's change-list/change-form split (it warns about an
        # override without it); earlier versions call get_actions(request) and take no such
        # argument.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location=action_location)  # type: ignore[call-arg]
        actions.pop("delete_selected", None)  # it would leave the blobs behind
        return actions

    def _image_url(self, obj: StoredFile, variant: str | None = None) -> str | None:
        if not obj.is_image or obj.content_type == "image/svg+xml":
            return None
        if variant and (obj.variants or {}).get(variant):
            return obj.variant_url(variant)
        return reverse("forge_files:download", args=[obj.key]) + "?inline=1"

    @admin.display(description=_("preview"))
    def thumbnail(self, obj: StoredFile) -> str:
        url = self._image_url(obj, next(iter(obj.variants or {}), None))
        if not url:
            return "-"
        return format_html('<img src="{}" alt="" style="max-width:64px;max-height:64px">', url)

    @admin.display(description=_("preview"))
    def preview(self, obj: StoredFile) -> str:
        url = self._image_url(obj)
        if not url:
            return "-"
        return format_html('<img src="{}" alt="" style="max-width:400px;max-height:400px">', url)

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, obj: StoredFile) -> str:
        return _human(obj.size)

    @admin.action(description=_("Regenerate image variants"))
    def regenerate_variants(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        from forge_suite.files.variants import generate_variants

        made = 0
        for stored in queryset.filter(content_type__startswith="image/"):
            made += len(generate_variants(stored.pk, force=True))
        self.message_user(request, f"{made} variants generated.", messages.SUCCESS)

    @admin.action(description=_("Delete files and their blobs"), permissions=["delete"])
    def delete_with_blobs(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        count = 0
        for stored in queryset:
            stored.delete_with_blob()
            count += 1
        self.message_user(request, f"{count} files deleted with their blobs.", messages.SUCCESS)


@admin.register(TusUpload)
class TusUploadAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "state",
        "offset",
        "length",
        "concat",
        "disk",
        "expires",
        "created",
    ]
    list_filter = ["state", "disk", "concat", "created"]
    search_fields = ["id", "owner__username", "raw_metadata", "multipart_id"]
    readonly_fields = [f.name for f in TusUpload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MultipartUpload)
class MultipartUploadAdmin(admin.ModelAdmin):
    list_display = ["key", "filename", "owner", "disk", "created"]
    list_filter = ["disk", "created"]
    search_fields = ["key", "filename", "upload_id"]
    readonly_fields = [f.name for f in MultipartUpload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
