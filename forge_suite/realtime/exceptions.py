"""Errors raised by forge_suite.realtime."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class RealtimeError(ForgeError):
    """Base class of every error raised by forge_suite.realtime."""
