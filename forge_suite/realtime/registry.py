"""The Pusher apps configured in ``FORGE["REALTIME"]["APPS"]``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from forge_suite.realtime.conf import APP_DEFAULTS, app_settings
from forge_suite.realtime.exceptions import InvalidChannelName, UnknownApp

__all__ = [
    "RealtimeApp",
    "all_apps",
    "channel_type",
    "get_app",
    "is_cache",
    "is_encrypted",
    "validate_channel_name",
]

CHANNEL_NAME_RE = re.compile(r"^[A-Za-z0-9_\-=@,.;]+$")
MAX_CHANNEL_NAME = 164


@dataclass(frozen=True)
class RealtimeApp:
    """One configured app: credentials and limits."""

    id: str
    key: str
    secret: str
    name: str
    max_connections: int | None
    max_message_size: int
    client_events: bool
    client_event_rate: str
    max_presence_members: int
    activity_timeout: int
    encryption_master_key: str | None = None
    subscription_count: bool = False
    webhooks: tuple[Any, ...] = ()
    max_channels_per_connection: int | None = None

    @classmethod
    def from_config(cls, entry: dict[str, Any]) -> RealtimeApp:
        values = {**APP_DEFAULTS, **entry}
        if values["activity_timeout"] is None:
            values["activity_timeout"] = int(app_settings.ACTIVITY_TIMEOUT)
        values["name"] = values["name"] or values["id"]
        values["webhooks"] = tuple(values["webhooks"] or ())
        return cls(**values)


def all_apps() -> list[RealtimeApp]:
    """Every configured app, in settings order."""
    return [RealtimeApp.from_config(dict(entry)) for entry in app_settings.APPS]


def get_app(*, id: str | None = None, key: str | None = None) -> RealtimeApp:
    """The app with the given ``id`` or ``key``; raises :class:`UnknownApp`."""
    for app in all_apps():
        if (id is not None and app.id == id) or (key is not None and app.key == key):
            return app
    what = f"id {id!r}" if id is not None else f"key {key!r}"
    raise UnknownApp(f'No app with {what} in FORGE["REALTIME"]["APPS"].')


def default_app() -> RealtimeApp:
    """The app ``/broadcasting/auth`` and :func:`broadcast` use unless told otherwise."""
    if app_settings.AUTH_APP:
        return get_app(id=app_settings.AUTH_APP)
    return all_apps()[0]


ENCRYPTED_PREFIX = "private-encrypted-"


def is_encrypted(name: str) -> bool:
    """True for end-to-end encrypted channels (``private-encrypted-``)."""
    return name.startswith(ENCRYPTED_PREFIX)


def is_cache(name: str) -> bool:
    """True for cache channels (``cache-``, ``private-cache-``, ``presence-cache-``...)."""
    return name.startswith(
        ("cache-", "private-cache-", "presence-cache-", "private-encrypted-cache-")
    )


def channel_type(name: str) -> str:
    """``public``, ``private``, ``presence`` or ``user`` (server-to-user channels).

    Encrypted and cache channels are private/presence/public channels with extra behaviour
    (:func:`is_encrypted`, :func:`is_cache`).
    """
    if name.startswith("presence-"):
        return "presence"
    if name.startswith("private-"):
        return "private"
    if name.startswith("#server-to-user-"):
        return "user"
    return "public"


def validate_channel_name(name: Any) -> str:
    """Return ``name`` if it is a valid channel name, else raise :class:`InvalidChannelName`."""
    if not isinstance(name, str) or not name:
        raise InvalidChannelName("A channel name must be a non-empty string.")
    if len(name) > MAX_CHANNEL_NAME:
        raise InvalidChannelName(
            f"Channel name is {len(name)} characters long; the limit is {MAX_CHANNEL_NAME}."
        )
    if not CHANNEL_NAME_RE.match(name):
        raise InvalidChannelName(
            f"Channel name {name[:40]!r} may only contain A-Z, a-z, 0-9 and _-=@,.;"
        )
    return name
