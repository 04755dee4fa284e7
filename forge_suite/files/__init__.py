"""Storage disks, validated uploads, image variants, signed URLs and tus resumable uploads.

Public API::

    from forge_suite.files import disk, store, Image, UploadPolicy, ValidatedFileField
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Disk",
    "Image",
    "StoredFile",
    "UploadPolicy",
    "ValidatedFileField",
    "can_access",
    "disk",
    "sanitize_filename",
    "store",
]

_EXPORTS = {
    "Disk": "forge_suite.files.disks",
    "disk": "forge_suite.files.disks",
    "Image": "forge_suite.files.images",
    "StoredFile": "forge_suite.files.models",
    "UploadPolicy": "forge_suite.files.validation",
    "sanitize_filename": "forge_suite.files.validation",
    "ValidatedFileField": "forge_suite.files.forms",
    "can_access": "forge_suite.files.access",
    "store": "forge_suite.files.api",
}


def __getattr__(name: str) -> Any:
    # Lazy so listing the app in INSTALLED_APPS does not import models before apps load.
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'forge_suite.files' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
