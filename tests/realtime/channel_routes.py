"""Channel routes the realtime tests authorize against."""

from __future__ import annotations

from typing import Any

from forge_suite.realtime import channel


@channel("orders.{order_id}")
def order_channel(user: Any, order_id: str) -> bool:
    return bool(user.is_authenticated and user.get_username() == f"owner-{order_id}")


@channel("room.{room_id}")
def room_channel(user: Any, room_id: str) -> dict[str, Any] | bool:
    if room_id == "closed":
        return False
    return {"name": user.get_username()}
