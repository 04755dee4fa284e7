"""System checks of the realtime app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from forge_suite.realtime.conf import DEFAULTS, app_settings

#: autobahn's maximum message and frame size as daphne configures it.
DAPHNE_MAX_MESSAGE = 1024 * 1024


@register(Tags.compatibility)
def check_realtime(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    alias = app_settings.raw("CHANNEL_LAYER")
    if alias not in layers:
        messages.append(
            Error(
                f'FORGE["REALTIME"]["CHANNEL_LAYER"] is {alias!r} but CHANNEL_LAYERS has no '
                "such alias; broadcasts could not reach the WebSocket server.",
                hint='Add CHANNEL_LAYERS = {"default": {"BACKEND": '
                '"channels.layers.InMemoryChannelLayer"}} (one process) or '
                "channels_redis.pubsub.RedisPubSubChannelLayer (several processes).",
                id="forge_realtime.E001",
            )
        )
    default_secrets = {entry["secret"] for entry in DEFAULTS["APPS"].default}
    apps = app_settings.raw("APPS")
    if not settings.DEBUG and isinstance(apps, list):
        for entry in apps:
            if isinstance(entry, dict) and entry.get("secret") in default_secrets:
                messages.append(
                    Warning(
                        f"Realtime app {entry.get('id')!r} uses the documented default secret.",
                        hint='Set a secret of your own in FORGE["REALTIME"]["APPS"].',
                        id="forge_realtime.W001",
                    )
                )
    for entry in apps if isinstance(apps, list) else []:
        size = entry.get("max_message_size") if isinstance(entry, dict) else None
        if isinstance(size, int) and size >= DAPHNE_MAX_MESSAGE:
            messages.append(
                Warning(
                    f"Realtime app {entry.get('id')!r} accepts messages of {size} bytes, at or "
                    "above daphne's WebSocket limit of 1 MiB: daphne then drops the connection "
                    "instead of the client getting the protocol's error.",
                    hint="Keep max_message_size below the ASGI server's limit (daphne 1 MiB, "
                    "uvicorn --ws-max-size, 16 MiB by default).",
                    id="forge_realtime.W002",
                )
            )
    return messages
