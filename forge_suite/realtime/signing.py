"""Signatures of the Pusher protocol: channel auth, user sign-in and the HTTP API query."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

__all__ = [
    "channel_auth",
    "hmac_hex",
    "http_signature",
    "shared_secret",
    "user_auth",
    "verify_channel_auth",
    "verify_user_auth",
    "webhook_signature",
]


def hmac_hex(secret: str, message: str) -> str:
    """Hex HMAC-SHA256 of ``message`` keyed with ``secret``."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def channel_auth(
    key: str, secret: str, socket_id: str, channel: str, channel_data: str = ""
) -> str:
    """The ``auth`` string that lets ``socket_id`` subscribe to a private or presence channel."""
    to_sign = f"{socket_id}:{channel}:{channel_data}" if channel_data else f"{socket_id}:{channel}"
    return f"{key}:{hmac_hex(secret, to_sign)}"


def user_auth(key: str, secret: str, socket_id: str, user_data: str) -> str:
    """The ``auth`` string of ``pusher:signin``."""
    return f"{key}:{hmac_hex(secret, f'{socket_id}::user::{user_data}')}"


def _compare(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


def verify_channel_auth(
    key: str, secret: str, socket_id: str, channel: str, auth: object, channel_data: str = ""
) -> bool:
    """Constant-time check of a subscription's ``auth``."""
    return _compare(channel_auth(key, secret, socket_id, channel, channel_data), auth)


def verify_user_auth(key: str, secret: str, socket_id: str, user_data: str, auth: object) -> bool:
    """Constant-time check of a sign-in's ``auth``."""
    return _compare(user_auth(key, secret, socket_id, user_data), auth)


def http_signature(secret: str, method: str, path: str, params: Mapping[str, str]) -> str:
    """``auth_signature`` of an HTTP API request: every other query parameter, sorted."""
    query = "&".join(
        f"{k.lower()}={params[k]}" for k in sorted(params, key=str.lower) if k != "auth_signature"
    )
    return hmac_hex(secret, f"{method.upper()}\n{path}\n{query}")


def shared_secret(channel: str, master_key_base64: str) -> str:
    """The base64 ``shared_secret`` of an encrypted channel, as Pusher specifies it.

    SHA-256 of the channel name followed by the raw master key (what pusher-http-python's
    ``generate_shared_secret`` computes); clients decrypt the channel's events with it.
    """
    master_key = base64.b64decode(master_key_base64)
    digest = hashlib.sha256(channel.encode() + master_key).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(secret: str, body: bytes) -> str:
    """``X-Pusher-Signature`` of a webhook: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
