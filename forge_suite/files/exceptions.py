"""Errors raised by forge_suite.files."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class FilesError(ForgeError):
    """Base class of every error raised by forge_suite.files."""
