"""Opaque signed tokens for unsubscribe, preferences, open and click links.

A token carries only the outbox row's UUID (no address, no list name) signed with the
project's SECRET_KEY; the row says who and which list. A changed character is refused.
"""

from __future__ import annotations

import uuid

from django.core import signing

from forge_suite.mailer.exceptions import InvalidToken

__all__ = ["sign_message", "sign_value", "unsign_message", "unsign_value"]

_SALT = "forge_suite.mailer.message"


def sign_message(message_uuid: uuid.UUID) -> str:
    """An opaque URL-safe token for outbox row ``message_uuid``."""
    return signing.Signer(salt=_SALT).sign(message_uuid.hex)


def unsign_message(token: str) -> uuid.UUID:
    """The row UUID of ``token``; :class:`InvalidToken` when tampered with."""
    try:
        return uuid.UUID(hex=signing.Signer(salt=_SALT).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise InvalidToken("the link is invalid or was changed") from exc


def sign_value(value: str, salt: str) -> str:
    return signing.Signer(salt=f"{_SALT}.{salt}").sign_object(value, compress=True)


def unsign_value(token: str, salt: str) -> str:
    try:
        return str(signing.Signer(salt=f"{_SALT}.{salt}").unsign_object(token))
    except (signing.BadSignature, ValueError) as exc:
        raise InvalidToken("the link is invalid or was changed") from exc
