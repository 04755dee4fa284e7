"""Fixtures of the files tests: moto's S3 server, gcp-storage-emulator, S3, GCS and local
disks, users and tokens."""

from __future__ import annotations

import datetime as dt
import io
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.files.servers import moto_server
from tests.support.servers import ServerProcess, free_port

S3_CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="session")
def moto() -> Iterator[ServerProcess]:
    """moto's standalone S3 server on a loopback port, for the whole session."""
    server = moto_server()
    yield server
    server.stop()


def s3_storage_config(moto_url: str, bucket: str, **options: Any) -> dict[str, Any]:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": moto_url,
            "file_overwrite": True,
            "addressing_style": "path",
            "signature_version": "s3v4",
            **S3_CREDENTIALS,
            **options,
        },
    }


@pytest.fixture
def s3_bucket(moto: ServerProcess) -> str:
    import boto3

    name = f"forge-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=moto.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_client(moto: ServerProcess) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=moto.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture
def s3_disk(moto: ServerProcess, s3_bucket: str, settings: Any) -> Iterator[str]:
    """An ``s3`` disk on a fresh bucket, made the upload disk."""
    storages = {**settings.STORAGES, "s3": s3_storage_config(moto.url, s3_bucket)}
    with override_settings(STORAGES=storages, FORGE={"FILES": {"DISK": "s3"}}):
        yield "s3"


@pytest.fixture
def local_disk(tmp_path: Any, settings: Any) -> Iterator[str]:
    """A ``local`` filesystem disk in a temporary folder, made the upload disk."""
    storages = {
        **settings.STORAGES,
        "local": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "disk")},
        },
    }
    with override_settings(STORAGES=storages, FORGE={"FILES": {"DISK": "local"}}):
        yield "local"


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("ada", "ada@example.com", "pw")


@pytest.fixture
def other_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("bob", "bob@example.com", "pw")


def bearer_token(user: Any) -> str:
    """A real django-oauth-toolkit access token of ``user``."""
    from oauth2_provider.models import AccessToken, Application

    app = Application.objects.create(
        name="files-tests",
        client_type="confidential",
        authorization_grant_type="password",
        user=user,
    )
    token = uuid.uuid4().hex
    AccessToken.objects.create(
        user=user,
        application=app,
        token=token,
        scope="read write",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    return token


def png_bytes(
    width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30), **save: Any
) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG", **save)
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48, exif: Any = None) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    img = Image.new("RGB", (width, height), (10, 120, 200))
    img.save(buffer, "JPEG", **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def pdf_bytes(size: int = 2048) -> bytes:
    import os

    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    return head + os.urandom(max(0, size - len(head)))


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[ServerProcess]:
    """gcp-storage-emulator on a loopback port (in memory), for the whole session."""
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
    gcs_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[str]:
    """A ``gcs`` disk on the emulator's bucket, made the upload disk."""
    from google.oauth2 import service_account as sa

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
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
    with override_settings(STORAGES=storages, FORGE={"FILES": {"DISK": "gcs"}}):
        yield "gcs"
