"""Errors raised by forge_suite.eventstore."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class EventStoreError(ForgeError):
    """Base class of every error raised by forge_suite.eventstore."""
