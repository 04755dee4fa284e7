"""Who may join the chat's channels (listed in FORGE["REALTIME"]["CHANNEL_MODULES"])."""

from __future__ import annotations

from typing import Any

from forge_suite.realtime import channel


@channel("chat.{room}")
def chat_room(user: Any, room: str) -> dict[str, Any] | bool:
    """Any logged-in user joins a room; the dict is what others see in the member list."""
    if not user.is_authenticated:
        return False
    return {"name": display_name(user)}


def display_name(user: Any) -> str:
    username = str(user.get_username())
    return username.removeprefix("chat-")
