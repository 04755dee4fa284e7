"""Temporary URLs of local disks: Django's signing, bound to the disk, the path and an expiry."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core import signing

from forge_suite.files.exceptions import BadSignature

__all__ = ["SignedPath", "sign_path", "unsign_path"]

SALT = "forge_suite.files.temporary_url"


@dataclass(frozen=True)
class SignedPath:
    """What a valid temporary URL grants: one path on one disk until ``expires``."""

    disk: str
    path: str
    expires: int
    filename: str | None = None
    inline: bool = False


def sign_path(
    disk: str, path: str, seconds: int, *, filename: str | None = None, inline: bool = False
) -> str:
    """A URL-safe token for ``path`` on ``disk`` valid for ``seconds``."""
    payload = {"d": disk, "p": path, "e": int(time.time()) + int(seconds)}
    if filename:
        payload["n"] = filename
    if inline:
        payload["i"] = 1
    return signing.dumps(payload, salt=SALT, compress=True)


def unsign_path(token: str, *, now: float | None = None) -> SignedPath:
    """The grant in ``token``; :class:`BadSignature` when tampered with or expired."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise BadSignature("The link is invalid (its signature does not match).") from None
    if not isinstance(data, dict) or not {"d", "p", "e"} <= data.keys():
        raise BadSignature("The link is invalid.")
    if (now if now is not None else time.time()) > data["e"]:
        raise BadSignature("The link has expired.")
    return SignedPath(
        disk=str(data["d"]),
        path=str(data["p"]),
        expires=int(data["e"]),
        filename=data.get("n"),
        inline=bool(data.get("i")),
    )
