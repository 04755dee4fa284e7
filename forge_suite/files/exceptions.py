"""Errors raised by forge_suite.files."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from forge_suite.core.exceptions import ForgeError


class FilesError(ForgeError):
    """Base class of every error raised by forge_suite.files."""


class UnknownDisk(FilesError, LookupError):
    """No ``STORAGES`` alias has the given name."""


class InvalidUpload(FilesError, ValueError):
    """An upload was refused; ``reason`` is a short code (``too_large``, ``type``...)."""

    reason = "invalid"
    status = 400

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason


class FileTooLarge(InvalidUpload):
    """More bytes than the limit allows (by ``Content-Length`` or while streaming)."""

    reason = "too_large"
    status = 413


class DisallowedType(InvalidUpload):
    """The sniffed content type is not allowed, or the extension contradicts it."""

    reason = "type"
    status = 415


class ImageTooLarge(InvalidUpload):
    """An image declares more pixels (or a longer side) than allowed: a decompression bomb."""

    reason = "image_too_large"
    status = 413


class QuotaExceeded(InvalidUpload):
    """The user's storage quota would be exceeded."""

    reason = "quota"
    status = 413


class BadSignature(FilesError, PermissionDenied):
    """A temporary URL was tampered with or has expired."""


class AccessDenied(FilesError, PermissionDenied):
    """The access policy refuses this file to this user."""
