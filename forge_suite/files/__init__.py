"""Storage disks, validated uploads, image variants, signed URLs and tus resumable uploads.

Public API::

    from forge_suite.files import disk, store, Image, UploadPolicy, ValidatedFileField
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_suite.core.exports import lazy_dir, lazy_exports

if TYPE_CHECKING:  # type checkers see the real, typed names; at run time they load lazily
    from forge_suite.files.access import can_access
    from forge_suite.files.api import store
    from forge_suite.files.disks import Disk, disk
    from forge_suite.files.forms import ValidatedFileField
    from forge_suite.files.images import Image
    from forge_suite.files.models import StoredFile
    from forge_suite.files.validation import UploadPolicy, sanitize_filename

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

__getattr__ = lazy_exports(__name__, _EXPORTS)
__dir__ = lazy_dir(__name__, _EXPORTS)
