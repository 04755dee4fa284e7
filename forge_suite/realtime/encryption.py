"""End-to-end encryption of events on ``private-encrypted-`` channels (Pusher's scheme).

The app server (this Django project) holds the master key; each channel's key is
``SHA256(channel + master_key)`` (:func:`~forge_suite.realtime.signing.shared_secret`). Event
data travels as ``{"nonce": b64, "ciphertext": b64}`` sealed with NaCl's secretbox
(XSalsa20-Poly1305), so the WebSocket server relays it without being able to read it.
"""

from __future__ import annotations

import base64
import json

from forge_suite.core.exceptions import MissingDependency
from forge_suite.realtime.signing import shared_secret

__all__ = ["decrypt", "encrypt"]


def _secret_box(channel: str, master_key_base64: str) -> object:
    try:
        import nacl.secret
    except ImportError:
        raise MissingDependency("PyNaCl", "realtime", "encrypted channels") from None
    key = base64.b64decode(shared_secret(channel, master_key_base64))
    return nacl.secret.SecretBox(key)


def encrypt(channel: str, data: str, master_key_base64: str, nonce: bytes | None = None) -> str:
    """The encrypted ``data`` of an event on ``channel`` (a fresh random nonce by default)."""
    import nacl.utils

    box = _secret_box(channel, master_key_base64)
    nonce = nonce if nonce is not None else nacl.utils.random(24)
    sealed = box.encrypt(data.encode(), nonce)  # type: ignore[attr-defined]
    return json.dumps(
        {
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(sealed.ciphertext).decode(),
        },
        separators=(",", ":"),
    )


def decrypt(channel: str, data: str, master_key_base64: str) -> str:
    """Open what :func:`encrypt` sealed (tests and server-side consumers)."""
    payload = json.loads(data)
    box = _secret_box(channel, master_key_base64)
    plain = box.decrypt(  # type: ignore[attr-defined]
        base64.b64decode(payload["ciphertext"]), base64.b64decode(payload["nonce"])
    )
    return bytes(plain).decode()
