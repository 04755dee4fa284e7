"""Errors raised by forge_suite.scheduling."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class SchedulingError(ForgeError):
    """Base class of every error raised by forge_suite.scheduling."""
