"""Pusher-protocol WebSocket channels and broadcasting.

Public API::

    from forge_suite.realtime import broadcast, abroadcast, BroadcastEvent, channel
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "AsyncPendingBroadcast",
    "BroadcastEvent",
    "PendingBroadcast",
    "abroadcast",
    "broadcast",
    "channel",
]

if TYPE_CHECKING:
    from forge_suite.realtime.broadcasting import (
        AsyncPendingBroadcast,
        BroadcastEvent,
        PendingBroadcast,
        abroadcast,
        broadcast,
    )
    from forge_suite.realtime.routes import channel


def __getattr__(name: str) -> Any:
    # Lazy so that importing the package does not import channels before Django is set up.
    if name == "channel":
        from forge_suite.realtime.routes import channel

        return channel
    if name in __all__:
        from forge_suite.realtime import broadcasting

        return getattr(broadcasting, name)
    raise AttributeError(name)
