"""Realtime channel of the notification bell (listed in CHANNEL_MODULES)."""

from __future__ import annotations

from typing import Any

from forge_suite.realtime import channel


@channel("user.{user_id}")
def own_notifications(user: Any, user_id: str) -> bool:
    """Only the user themselves may listen to ``private-user.<id>``."""
    return bool(user.is_authenticated and str(user.pk) == user_id)
