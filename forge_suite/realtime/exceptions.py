"""Errors raised by forge_suite.realtime."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError, ServiceUnavailable


class RealtimeError(ForgeError):
    """Base class of every error raised by forge_suite.realtime."""


class UnknownApp(RealtimeError, LookupError):
    """No app in ``FORGE["REALTIME"]["APPS"]`` has the given id or key."""


class InvalidChannelName(RealtimeError, ValueError):
    """A channel name is too long or uses characters the protocol forbids."""


class InvalidEvent(RealtimeError, ValueError):
    """An event to broadcast is malformed (name, data size, destination)."""


class LayerUnavailable(RealtimeError, ServiceUnavailable):
    """The channel layer did not take a message within ``PUBLISH_TIMEOUT`` seconds (down or
    hanging); the message was not delivered."""


class ProtocolError(RealtimeError):
    """A client broke the Pusher protocol; ``code`` is the protocol's error code."""

    def __init__(self, message: str, code: int = 4200, *, close: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.close = close
