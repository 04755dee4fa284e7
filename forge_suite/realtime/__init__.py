"""Pusher-protocol WebSocket channels and broadcasting.

Public API::

    from forge_suite.realtime import broadcast, abroadcast, BroadcastEvent, channel
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_suite.core.exports import lazy_dir, lazy_exports

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

_EXPORTS = {
    "AsyncPendingBroadcast": "forge_suite.realtime.broadcasting",
    "BroadcastEvent": "forge_suite.realtime.broadcasting",
    "PendingBroadcast": "forge_suite.realtime.broadcasting",
    "abroadcast": "forge_suite.realtime.broadcasting",
    "broadcast": "forge_suite.realtime.broadcasting",
    "channel": "forge_suite.realtime.routes",
}

# Lazy so that importing the package does not import channels before Django is set up.
__getattr__ = lazy_exports(__name__, _EXPORTS)
__dir__ = lazy_dir(__name__, _EXPORTS)
