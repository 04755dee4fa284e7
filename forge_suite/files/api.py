"""Storing a validated file: the one path that forms, DRF, the endpoints and tus all take."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from forge_suite.core.metrics import metrics
from forge_suite.files.disks import Disk, disk
from forge_suite.files.exceptions import InvalidUpload, QuotaExceeded
from forge_suite.files.models import StoredFile, TusUpload, UploadState, Visibility
from forge_suite.files.paths import new_path
from forge_suite.files.signals import file_stored, upload_rejected
from forge_suite.files.validation import UploadPolicy, Validated, validate

__all__ = ["new_path", "record", "reject", "store", "used_bytes"]

logger = logging.getLogger("forge_suite.files")


def used_bytes(user: Any) -> int:
    """Bytes ``user`` stores, counting open tus uploads at their declared length."""
    from django.db.models import Sum

    stored = StoredFile.objects.filter(owner=user).aggregate(n=Sum("size"))["n"] or 0
    open_uploads = (
        TusUpload.objects.filter(owner=user, state=UploadState.ACTIVE)
        .exclude(concat="final")
        .aggregate(n=Sum("length"))["n"]
        or 0
    )
    return int(stored) + int(open_uploads)


def check_quota(user: Any, extra: int) -> None:
    from forge_suite.files.conf import app_settings

    quota = app_settings.USER_QUOTA
    if quota is None or user is None or not getattr(user, "is_authenticated", False):
        return
    used = used_bytes(user)
    if used + extra > quota:
        raise QuotaExceeded(
            f"This upload ({extra} bytes) would exceed your quota ({used} of {quota} bytes used)."
        )


def reject(exc: InvalidUpload, source: str) -> None:
    """Announce a refused upload (signal and metric)."""
    metrics().record_file_rejected(exc.reason)
    upload_rejected.send(sender=StoredFile, reason=exc.reason, message=exc.message, source=source)


def sha256_of(fh: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fh.seek(0)
    while block := fh.read(256 * 1024):
        digest.update(block)
        size += len(block)
    fh.seek(0)
    return digest.hexdigest(), size


def store(
    fh: IO[bytes],
    name: str,
    *,
    owner: Any = None,
    disk_alias: str | None = None,
    visibility: str = Visibility.PRIVATE,
    policy: UploadPolicy | None = None,
    metadata: dict[str, Any] | None = None,
    source: str = "python",
    sha256: str | None = None,
) -> StoredFile:
    """Validate ``fh`` (a file on disk or any seekable stream), write it to the disk and
    record it. Nothing is kept when validation or storage fails."""
    policy = policy or UploadPolicy.default()
    try:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(0)
        if owner is not None:
            check_quota(owner, size)
        facts = validate(fh, name, policy, size=size)
    except InvalidUpload as exc:
        reject(exc, source)
        raise
    if sha256 is None:
        sha256, size = sha256_of(fh)
    target = disk(disk_alias)
    path = new_path(facts.name)
    path = target.put(path, fh)
    return record(
        target,
        path,
        facts,
        size=size,
        sha256=sha256,
        owner=owner,
        visibility=visibility,
        metadata=metadata,
        source=source,
    )


def record(
    target: Disk,
    path: str,
    facts: Validated,
    *,
    size: int,
    sha256: str,
    owner: Any = None,
    visibility: str = Visibility.PRIVATE,
    metadata: dict[str, Any] | None = None,
    source: str = "python",
) -> StoredFile:
    """Create the row of a blob already on ``target``; the blob is deleted if that fails."""
    meta = dict(metadata or {})
    if facts.width is not None:
        meta.update(width=facts.width, height=facts.height)
    try:
        with transaction.atomic():
            stored = StoredFile.objects.create(
                disk=target.alias,
                path=path,
                original_name=facts.name,
                size=size,
                content_type=facts.content_type,
                sha256=sha256,
                owner=owner if getattr(owner, "is_authenticated", False) else None,
                visibility=visibility,
                metadata=meta,
            )
    except BaseException:
        target.delete(path)
        raise
    metrics().record_file_stored(target.alias, facts.content_type, size)
    transaction.on_commit(lambda: _after_store(stored, source))
    return stored


def _after_store(stored: StoredFile, source: str) -> None:
    from forge_suite.files.dispatch import schedule_variants

    schedule_variants(stored)
    file_stored.send(sender=StoredFile, stored_file=stored, source=source)


def expiry_from_now(seconds: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)
