"""Errors raised by forge_suite.observability."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class ObservabilityError(ForgeError):
    """Base class of every error raised by forge_suite.observability."""
