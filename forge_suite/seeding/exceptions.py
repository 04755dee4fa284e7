"""Errors raised by forge_suite.seeding."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class SeedingError(ForgeError):
    """Base class of every error raised by forge_suite.seeding."""
