"""Errors raised by forge_suite.throttling."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class ThrottlingError(ForgeError):
    """Base class of every error raised by forge_suite.throttling."""
