"""Stored files and the state of resumable (tus) uploads, both in the database."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    PRIVATE = "private", _("private")


class StoredFile(models.Model):
    """A validated file on a disk: what it really is (sniffed type, sha256) and who owns it."""

    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    disk = models.CharField(_("disk"), max_length=64)
    path = models.CharField(_("path"), max_length=1024)
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    size = models.BigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=127)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forge_files",
        verbose_name=_("owner"),
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    variants = models.JSONField(_("variants"), default=dict, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["disk", "path"], name="forge_files_unique_disk_path")
        ]
        indexes = [
            models.Index(fields=["owner", "-created"], name="forge_files_owner_created"),
            models.Index(fields=["content_type"], name="forge_files_ctype"),
        ]

    def __str__(self) -> str:
        return self.original_name or self.path

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    def open(self) -> Any:
        from forge_suite.files.disks import disk

        return disk(self.disk).open(self.path)

    def url(self, expires: int | None = None) -> str:
        """Public URL for public files, a temporary URL for private ones."""
        from forge_suite.files.disks import disk

        d = disk(self.disk)
        if self.is_public:
            return d.url(self.path)
        return d.temporary_url(
            self.path, expires, filename=self.original_name, content_type=self.content_type
        )

    def variant_url(self, name: str, expires: int | None = None) -> str | None:
        from forge_suite.files.disks import disk

        path = (self.variants.get(name) or {}).get("path")
        if not path:
            return None
        d = disk(self.disk)
        return d.url(path) if self.is_public else d.temporary_url(path, expires, inline=True)

    def delete_with_blob(self) -> None:
        """Delete the row, the blob and every variant blob."""
        from forge_suite.files.disks import disk

        d = disk(self.disk)
        for variant in (self.variants or {}).values():
            if variant.get("path"):
                d.delete(variant["path"])
        d.delete(self.path)
        self.delete()


class UploadState(models.TextChoices):
    ACTIVE = "active", _("receiving")
    COMPLETE = "complete", _("complete")
    REJECTED = "rejected", _("rejected")
    TERMINATED = "terminated", _("terminated")


class TusUpload(models.Model):
    """One tus upload. Every fact a server process needs to accept the next PATCH lives here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="forge_tus_uploads",
        verbose_name=_("owner"),
    )
    disk = models.CharField(_("disk"), max_length=64)
    path = models.CharField(_("target path"), max_length=1024)
    length = models.BigIntegerField(_("length"), null=True, blank=True)
    offset = models.BigIntegerField(_("offset"), default=0)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    raw_metadata = models.TextField(_("Upload-Metadata"), blank=True)
    concat = models.CharField(_("concatenation"), max_length=10, blank=True)
    concat_parts = models.JSONField(_("partial uploads"), default=list, blank=True)
    multipart_id = models.CharField(_("S3 multipart id"), max_length=255, blank=True)
    parts = models.JSONField(_("S3 parts"), default=list, blank=True)
    pending_size = models.BigIntegerField(_("bytes not yet in a part"), default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=UploadState.choices, default=UploadState.ACTIVE
    )
    error = models.TextField(_("error"), blank=True)
    stored_file = models.ForeignKey(
        StoredFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires = models.DateTimeField(_("expires"))
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("tus upload")
        verbose_name_plural = _("tus uploads")
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["state", "expires"], name="forge_tus_state_expires"),
            models.Index(fields=["owner", "state"], name="forge_tus_owner_state"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.offset}/{self.length if self.length is not None else '?'}"

    @property
    def complete(self) -> bool:
        return self.length is not None and self.offset >= self.length

    @property
    def staging_path(self) -> str:
        """Where a local disk keeps the bytes received so far."""
        return f"tus/{self.id.hex}.bin"

    @property
    def pending_path(self) -> str:
        """S3 object holding received bytes too few for a multipart part (as tusd does)."""
        return f"tus/{self.id.hex}.part"


class MultipartUpload(models.Model):
    """A direct-to-S3 multipart upload started for Uppy's ``@uppy/aws-s3`` (presigned parts)."""

    upload_id = models.CharField(_("S3 upload id"), max_length=255, unique=True)
    disk = models.CharField(_("disk"), max_length=64)
    key = models.CharField(_("key"), max_length=1024)
    filename = models.CharField(_("file name"), max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("S3 multipart upload")
        verbose_name_plural = _("S3 multipart uploads")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.key
