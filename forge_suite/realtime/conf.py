"""Settings of realtime: ``FORGE["REALTIME"]``.

``APPS`` lists the Pusher apps this server accepts (several are allowed), each a dict with
``id``, ``key`` and ``secret`` and optional limits (see :data:`APP_DEFAULTS`).
"""

from __future__ import annotations

from typing import Any

from forge_suite.core.conf import AppSettings, Option
from forge_suite.core.validators import non_negative, positive

#: Per-app options and their defaults; each entry of ``APPS`` may override them.
APP_DEFAULTS: dict[str, Any] = {
    "name": "",
    "max_connections": None,  # None: unlimited; counted over every server process (Redis)
    "max_channels_per_connection": None,  # None: unlimited
    "max_message_size": 10 * 1024,  # bytes of one client frame
    "client_events": True,  # accept client-* events on private/presence channels
    "client_event_rate": "10/s",
    "max_presence_members": 100,
    "activity_timeout": None,  # None: the global ACTIVITY_TIMEOUT
    # base64 of 32 random bytes; the auth endpoint derives each private-encrypted- channel's
    # shared_secret from it and broadcast() encrypts with it. The WebSocket server never
    # decrypts. None: encrypted channels are refused.
    "encryption_master_key": None,
    "subscription_count": False,  # push pusher_internal:subscription_count to subscribers
    # URLs, or {"url": ..., "event_types": [...]} dicts (see forge_suite.realtime.webhooks)
    "webhooks": [],
}

APP_REQUIRED = ("id", "key", "secret")

#: Webhook events an app can subscribe to (``webhooks[].event_types``).
EVENT_TYPES = (
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
    "client_event",
    "cache_miss",
)


def webhooks_problem(value: Any) -> str | None:
    """Why an app's ``webhooks`` setting is wrong (None if right)."""
    if not isinstance(value, list):
        return "must be a list of URLs or of {'url': ..., 'event_types': [...]} dicts"
    for hook in value:
        url = hook.get("url") if isinstance(hook, dict) else hook
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return f"{hook!r} needs an http(s) url"
        types = hook.get("event_types", []) if isinstance(hook, dict) else []
        unknown = sorted(set(types) - set(EVENT_TYPES))
        if unknown:
            return f"unknown event_types {unknown} (known: {', '.join(EVENT_TYPES)})"
    return None


def _check_apps(value: Any) -> str | None:
    if not value:
        return "must list at least one app"
    seen: dict[str, set[str]] = {"id": set(), "key": set()}
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            return f"entry {index} must be a dict, not {type(entry).__name__}"
        for key in APP_REQUIRED:
            if not isinstance(entry.get(key), str) or not entry.get(key):
                return f"entry {index} needs a non-empty string {key!r}"
        unknown = set(entry) - set(APP_REQUIRED) - set(APP_DEFAULTS)
        if unknown:
            known = ", ".join([*APP_REQUIRED, *APP_DEFAULTS])
            return f"entry {index} has unknown keys {sorted(unknown)} (known: {known})"
        for key in ("id", "key"):
            if entry[key] in seen[key]:
                return f"entry {index} repeats the {key} {entry[key]!r}"
            seen[key].add(entry[key])
        if (problem := _master_key_problem(entry.get("encryption_master_key"))) is not None:
            return f"entry {index}: encryption_master_key {problem}"
        if (problem := webhooks_problem(entry.get("webhooks", []))) is not None:
            return f"entry {index}: webhooks {problem}"
        rate = entry.get("client_event_rate", APP_DEFAULTS["client_event_rate"])
        from forge_suite.realtime.throttle import parse_rate

        try:
            parse_rate(rate)
        except ValueError as exc:
            return f"entry {index}: {exc}"
    return None


def _master_key_problem(value: Any) -> str | None:
    """Why ``value`` is not the base64 of 32 bytes (None if it is, or if it is None)."""
    if value is None:
        return None
    import base64
    import binascii

    if not isinstance(value, str):
        return "must be a base64 string"
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    if len(raw) != 32:
        return f"must decode to 32 bytes, not {len(raw)} (e.g. `openssl rand -base64 32`)"
    return None


DEFAULTS: dict[str, Option] = {
    "APPS": Option(
        [{"id": "1000", "key": "forge-key", "secret": "forge-secret"}],
        list,
        "Pusher apps: dicts with id, key, secret and optional limits. Change the secret "
        "in production.",
        validator=_check_apps,
    ),
    "ACTIVITY_TIMEOUT": Option(
        30,
        int,
        "Seconds of client silence before the server pings it (also told to clients).",
        validator=positive,
    ),
    "PONG_TIMEOUT": Option(
        10,
        (int, float),
        "Seconds to wait for pusher:pong after a server ping before closing with 4201.",
        validator=positive,
    ),
    "MAX_CONNECTIONS": Option(
        None,
        int,
        "Connections one server process accepts over all apps before refusing with 4100 "
        "(over capacity, clients back off and retry); None: no limit.",
        nullable=True,
    ),
    "SEND_TIMEOUT": Option(
        2.0,
        (int, float),
        "Seconds one frame may take to hand to a client during a fan-out; a client that "
        "stops reading is closed with 4100 instead of stalling the process.",
        validator=positive,
    ),
    "CHANNEL_LAYER": Option(
        "default",
        str,
        "Alias in CHANNEL_LAYERS that carries broadcasts between server processes.",
    ),
    "GROUP": Option(
        "forge_realtime",
        str,
        "Channel-layer group every server process joins once (one message per broadcast "
        "per process).",
    ),
    "REDIS_URL": Option(
        None,
        str,
        "Redis for presence and channel counts shared by all server processes; None uses "
        'FORGE["REDIS_URL"], and without any Redis the state stays in this process.',
        nullable=True,
    ),
    "KEY_PREFIX": Option("forge:realtime", str, "Prefix of every Redis key the app writes."),
    "PRESENCE_TTL": Option(
        30,
        (int, float),
        "Seconds a presence connection stays alive in Redis without a heartbeat.",
        validator=positive,
    ),
    "CHANNEL_MODULES": Option(
        [],
        list,
        "Modules imported at startup that declare channel routes with @channel "
        "(like Laravel's routes/channels.php).",
    ),
    "AUTH_APP": Option(
        None,
        str,
        "Id of the app whose secret /broadcasting/auth signs with; None: the first app.",
        nullable=True,
    ),
    "BEARER_SCOPES": Option(
        None,
        list,
        "Scopes an OAuth2 bearer token needs at /broadcasting/auth and /broadcasting/user-auth; "
        "None: ['realtime:auth'] when forge_suite.api is installed (its scope names), "
        "otherwise any valid token.",
        nullable=True,
    ),
    "CACHE_TTL": Option(
        1800,
        int,
        "Seconds the last event of a cache- channel is kept for new subscribers (Pusher "
        "keeps it up to 30 minutes).",
        validator=positive,
    ),
    "WEBHOOK_BATCH_DELAY": Option(
        0.25,
        (int, float),
        "Seconds a process collects webhook events before posting them (Pusher: 250 ms).",
        validator=positive,
    ),
    "WEBHOOK_LEAVE_DELAY": Option(
        3.0,
        (int, float),
        "Seconds channel_vacated and member_removed webhooks wait; a join meanwhile (a page "
        "reload, a quick reconnect) cancels both (Pusher: up to 3 s). 0 sends them at once.",
        validator=non_negative,
    ),
    "WEBHOOK_BATCH_SIZE": Option(
        20, int, "Most events in one webhook body (Pusher: 20).", validator=positive
    ),
    "PUBLISH_TIMEOUT": Option(
        5.0,
        (int, float),
        "Seconds a broadcast waits for the channel layer before raising LayerUnavailable "
        "(a layer whose Redis hangs would otherwise block the caller for ever).",
        validator=positive,
    ),
    "WEBHOOK_TIMEOUT": Option(
        5.0, (int, float), "Seconds to wait for a webhook receiver.", validator=positive
    ),
    "WEBHOOK_RETRIES": Option(
        8,
        int,
        "Retries of a failed webhook delivery (scheduling's exponential backoff).",
        validator=positive,
    ),
    "GC_FULL_COLLECTION_THRESHOLD": Option(
        1000,
        int,
        "Third threshold of the cyclic garbage collector (gc.set_threshold), set when a process "
        "starts serving sockets: Python's 10 makes full collections, which scan every "
        "connection's objects, a third of the CPU of a reconnect storm. A process that set its "
        "own thresholds keeps them; None leaves the collector alone.",
        nullable=True,
        validator=positive,
    ),
    "MAX_EVENT_DATA_SIZE": Option(
        10 * 1024, int, "Largest event data accepted by the HTTP API, in bytes."
    ),
}

app_settings = AppSettings("REALTIME", DEFAULTS)
