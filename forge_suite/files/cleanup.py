"""Removing what failed or abandoned uploads leave: expired tus uploads (their staging
files, pending S3 objects and unfinished multipart uploads) and stale temporary files."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import time
from dataclasses import dataclass

from django.utils import timezone

from forge_suite.files.conf import app_settings
from forge_suite.files.exceptions import FilesError
from forge_suite.files.models import TusUpload, UploadState
from forge_suite.files.tus.backends import backend_for
from forge_suite.files.validation import temp_dir

__all__ = ["CleanupReport", "cleanup"]

logger = logging.getLogger("forge_suite.files")
TEMP_PREFIXES = ("forge-upload-", "forge-tus-")


@dataclass
class CleanupReport:
    uploads: int = 0
    temp_files: int = 0

    def __str__(self) -> str:
        return f"{self.uploads} abandoned uploads and {self.temp_files} temporary files removed"


def cleanup(*, now: dt.datetime | None = None) -> CleanupReport:
    """Remove expired unfinished uploads, finished or refused upload rows past their expiry,
    and temporary files older than ``TEMP_MAX_AGE``."""
    now = now or timezone.now()
    report = CleanupReport()
    stale = TusUpload.objects.filter(expires__lt=now).exclude(state=UploadState.COMPLETE)
    # Complete partials are kept until their expiry too, then go like the rest.
    stale = stale | TusUpload.objects.filter(
        expires__lt=now, state=UploadState.COMPLETE, concat="partial"
    )
    for upload in stale.iterator():
        try:
            backend_for(upload.disk).terminate(upload)
        except FilesError as exc:
            logger.warning("cleanup: cannot clean upload %s: %s", upload.pk, exc)
            continue
        upload.delete()
        report.uploads += 1
    TusUpload.objects.filter(
        state=UploadState.COMPLETE, expires__lt=now - dt.timedelta(days=7)
    ).exclude(concat="partial").delete()
    report.temp_files = _clean_temp(time.time() - int(app_settings.TEMP_MAX_AGE))
    return report


def _clean_temp(before: float) -> int:
    folder = temp_dir() or tempfile.gettempdir()
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIXES) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if entry.stat().st_mtime < before:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
