"""Encrypted channels: Pusher's shared_secret, the cipher, the auth endpoint and the protocol."""

from __future__ import annotations

import base64
import json
from typing import Any

import pusher
import pytest
from pusher import crypto

from forge_suite.realtime import broadcast
from forge_suite.realtime.encryption import decrypt, encrypt
from forge_suite.realtime.signing import shared_secret
from forge_suite.realtime.testing import PusherCommunicator, record_broadcasts

# The vector of pusher-http-python's tests: the master key is these 32 ASCII bytes, raw.
VECTOR_KEY = base64.b64encode(b"OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5").decode()
VECTOR_CHANNEL = "pvUPIk0YG6MnxCEMIUUVFrbDmQwbhICXUcy"
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()


def test_shared_secret_matches_pusher_and_the_official_library() -> None:
    expected = "cJ7zCQokv6mDgstdAlyjYiyC0x+ifxCwBcDconuuZRY="
    assert shared_secret(VECTOR_CHANNEL, VECTOR_KEY) == expected
    official = crypto.generate_shared_secret(
        VECTOR_CHANNEL.encode(), b"OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"
    )
    assert base64.b64encode(official).decode() == expected


def test_encryption_vector_matches_the_official_library() -> None:
    sealed = encrypt(
        VECTOR_CHANNEL, "kkkT5OOkOkO5kT5TOO5TkOT5TTk5O55T", VECTOR_KEY, b"XAJI0Y6DPBHSAHXTHV3A3ZMF"
    )
    assert json.loads(sealed) == {
        "nonce": "WEFKSTBZNkRQQkhTQUhYVEhWM0EzWk1G",
        "ciphertext": "tsYJa2JgGDOpVIYFe4aNVWAvZlpB7z7CjN9mpIdbATE0Yc4izN8aM8D6VigBxnIQ",
    }
    official = crypto.encrypt(
        VECTOR_CHANNEL,
        "kkkT5OOkOkO5kT5TOO5TkOT5TTk5O55T",
        b"OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
        b"XAJI0Y6DPBHSAHXTHV3A3ZMF",
    )
    assert json.loads(sealed) == {k: str(v) for k, v in official.items()}
    assert decrypt(VECTOR_CHANNEL, sealed, VECTOR_KEY) == "kkkT5OOkOkO5kT5TOO5TkOT5TTk5O55T"


def test_broadcast_encrypts_on_encrypted_channels_only(settings: Any) -> None:
    settings.FORGE = {
        "REALTIME": {
            "APPS": [{"id": "1", "key": "k", "secret": "s", "encryption_master_key": MASTER_KEY}]
        }
    }
    with record_broadcasts() as sent:
        broadcast("secret.note", {"text": "hi"}).to_channel("private-encrypted-notes", "plain")
    sealed = sent.events(channel="private-encrypted-notes")[0]["data"]
    assert set(sealed) == {"nonce", "ciphertext"}
    opened = decrypt("private-encrypted-notes", json.dumps(sealed), MASTER_KEY)
    assert json.loads(opened) == {"text": "hi"}
    assert sent.events(channel="plain")[0]["data"] == {"text": "hi"}


def test_broadcast_to_an_encrypted_channel_without_a_key_is_refused(settings: Any) -> None:
    from forge_suite.realtime.exceptions import InvalidEvent

    settings.FORGE = {"REALTIME": {"APPS": [{"id": "1", "key": "k", "secret": "s"}]}}
    with record_broadcasts() as sent, pytest.raises(InvalidEvent, match="encryption_master_key"):
        broadcast("x", {}).to_channel("private-encrypted-notes")
    assert sent.messages == []


@pytest.mark.parametrize(
    ("key", "problem"),
    [("not base64!", "not valid base64"), (base64.b64encode(b"short").decode(), "32 bytes")],
)
def test_a_bad_master_key_is_reported_by_the_check(settings: Any, key: str, problem: str) -> None:
    from forge_suite.core.checks import check_forge_setting

    settings.FORGE = {
        "REALTIME": {"APPS": [{"id": "1", "key": "k", "secret": "s", "encryption_master_key": key}]}
    }
    messages = check_forge_setting(None)
    assert any(problem in m.msg and "encryption_master_key" in m.msg for m in messages), messages


async def test_client_events_are_refused_on_encrypted_channels(settings: Any) -> None:
    from channels.layers import channel_layers

    from forge_suite.realtime.hub import reset_hub

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.FORGE = {"REALTIME": {"APPS": [{"id": "1", "key": "k", "secret": "s"}]}}
    channel_layers.backends.clear()
    client = PusherCommunicator(app_key="k", app_secret="s")
    try:
        await client.open()
        ok = await client.subscribe("private-encrypted-notes")
        assert ok["event"] == "pusher_internal:subscription_succeeded"
        await client.send("client-typing", {}, channel="private-encrypted-notes")
        error = await client.recv()
        assert error["event"] == "pusher:error"
        assert error["data"]["code"] == 4009
        assert "encrypted" in error["data"]["message"]
    finally:
        await client.close()
        await reset_hub()
        channel_layers.backends.clear()


def test_official_library_accepts_our_master_key_format() -> None:
    client = pusher.Pusher(app_id="1", key="k", secret="s", encryption_master_key_base64=MASTER_KEY)
    answer = client.authenticate("private-encrypted-notes", "1.2")
    assert answer["shared_secret"].decode() == shared_secret("private-encrypted-notes", MASTER_KEY)
