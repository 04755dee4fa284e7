"""GCS disks (django-storages) against gcp-storage-emulator on loopback.

The emulator stores and serves objects and honours ``response-content-disposition`` on
signed URLs, but it checks neither the v4 signature nor the expiry: those are asserted on the
URL itself here, and enforced by real GCS only.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import override_settings

from forge_suite.files import disk
from tests.support.servers import ServerProcess, free_port


@pytest.fixture(scope="module")
def emulator() -> Iterator[ServerProcess]:
    port = free_port()
    server = ServerProcess(
        "",
        command=[
            sys.executable,
            "-m",
            "gcp_storage_emulator",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--in-memory",
            "--default-bucket",
            "forge-gcs",
        ],
        port=port,
        name="gcs",
    )
    yield server
    server.stop()


def service_account() -> Any:
    """Credentials with a freshly generated key: enough to sign URLs locally."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.oauth2 import service_account as sa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    credentials = sa.Credentials.from_service_account_info(
        {
            "type": "service_account",
            "project_id": "forge-test",
            "private_key_id": "1",
            "private_key": pem,
            "client_email": "forge@forge-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": "http://127.0.0.1:1/token",
        }
    )
    return credentials


def _emulator_token(self: Any, request: Any) -> None:
    # The emulator accepts any bearer token: no OAuth exchange with Google.
    self.token = "emulator"
    self.expiry = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1)


@pytest.fixture
def gcs_disk(
    emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[str]:
    from google.oauth2 import service_account as sa

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.url)
    monkeypatch.setattr(sa.Credentials, "refresh", _emulator_token)
    storages = {
        **settings.STORAGES,
        "gcs": {
            "BACKEND": "storages.backends.gcloud.GoogleCloudStorage",
            "OPTIONS": {
                "bucket_name": "forge-gcs",
                "project_id": "forge-test",
                "credentials": service_account(),
            },
        },
    }
    with override_settings(STORAGES=storages):
        yield "gcs"


def test_gcs_disk_and_v4_signed_url(gcs_disk: str) -> None:
    d = disk("gcs")
    path = d.put("private/notes.txt", b"kept on gcs")
    assert d.exists(path)
    assert d.size(path) == 11
    url = d.temporary_url(path, 120, filename="Notizen ä.txt")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == ["120"]
    assert "X-Goog-Signature" in query
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"kept on gcs"
    assert "Notizen" in response.headers["Content-Disposition"]
    d.delete(path)
    assert not d.exists(path)
