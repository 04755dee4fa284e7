"""Test helpers for projects using forge_suite.files."""

from __future__ import annotations

import shutil
import tempfile

from django.conf import settings
from django.test.utils import TestContextDecorator, override_settings

__all__ = ["temporary_disk"]


class temporary_disk(TestContextDecorator):
    """Make disk ``alias`` a local disk in a fresh temporary folder, removed afterwards.

    Uploads in tests then never touch S3 or the real media folder::

        @temporary_disk("uploads")
        def test_avatar_upload(client): ...

    As a context manager it yields the folder's path.
    """

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self.location = ""
        self._override: override_settings | None = None
        super().__init__()

    def enable(self) -> str:
        self.location = tempfile.mkdtemp(prefix="forge-disk-")
        storages = dict(getattr(settings, "STORAGES", {}) or {})
        storages[self.alias] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": self.location},
        }
        self._override = override_settings(STORAGES=storages)
        self._override.enable()
        return self.location

    def disable(self) -> None:
        if self._override is not None:
            self._override.disable()
            self._override = None
        shutil.rmtree(self.location, ignore_errors=True)
