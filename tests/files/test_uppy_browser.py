"""Acceptance: Uppy (the bundle the demo ships) in headless Chromium. With @uppy/tus it uploads
a file to a server process with progress events, a pause and a resume; with @uppy/aws-s3 it
sends a file straight to S3 (moto, with bucket CORS rules as real S3 needs) in multipart parts
presigned by the app, which then validates and records it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from forge_suite.files.models import StoredFile, TusUpload
from tests.files.servers import django_server
from tests.support.browser import chromium
from tests.support.servers import ServerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

MAKE_FILE = """
const done = arguments[arguments.length - 1];
const side = arguments.length > 1 ? arguments[0] : 700;
const canvas = document.createElement("canvas");
canvas.width = side; canvas.height = side;
const ctx = canvas.getContext("2d");
const pixels = ctx.createImageData(side, side);
for (let i = 0; i < pixels.data.length; i += 65536) {
  crypto.getRandomValues(pixels.data.subarray(i, Math.min(i + 65536, pixels.data.length)));
}
for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;  // opaque
ctx.putImageData(pixels, 0, 0);
canvas.toBlob(async (blob) => {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  window.uppy.addFile({ name: "noise.png", type: "image/png", data: blob });
  done([hex, blob.size]);
}, "image/png");
"""


@pytest.fixture
def driver() -> Iterator[Any]:
    browser = chromium(script_timeout=60)
    yield browser
    browser.quit()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    storages = {
        "local": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "disk")},
        }
    }
    process = django_server(str(connection.settings_dict["NAME"]), storages, {"DISK": "local"})
    yield process
    process.stop()


def events(driver: Any) -> list[dict[str, Any]]:
    return list(driver.execute_script("return window.galleryEvents"))


def open_upload_page(driver: Any, server: ServerProcess, user: Any, query: str) -> None:
    """The demo's upload page in the browser, logged in as ``user`` (its session cookie)."""
    client = Client()
    client.force_login(user)
    driver.get(f"{server.url}/static/gallery/gallery.css")
    driver.add_cookie(
        {"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"}
    )
    driver.get(f"{server.url}/gallery/upload/{query}")


def wait_for(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_uppy_tus_upload_with_pause_and_resume(
    driver: Any, server: ServerProcess, user: Any, local_disk: str
) -> None:
    open_upload_page(driver, server, user, "?chunk=65536")
    sha, size = driver.execute_async_script(MAKE_FILE)
    assert size > 1_000_000

    driver.execute_script("window.uppy.upload()")
    wait_for(
        lambda: any(e["type"] == "progress" and 0 < e["sent"] < e["total"] for e in events(driver))
    )
    driver.execute_script("window.uppy.pauseAll()")
    wait_for(lambda: TusUpload.objects.exists())
    time.sleep(1.0)  # let the chunk in flight land
    paused_at = TusUpload.objects.get().offset
    time.sleep(1.5)
    assert TusUpload.objects.get().offset == paused_at  # nothing sent while paused
    assert 0 < paused_at < size
    assert not any(e["type"] == "success" for e in events(driver))

    driver.execute_script("window.uppy.resumeAll()")
    wait_for(lambda: any(e["type"] in ("success", "error") for e in events(driver)), timeout=120)
    log = events(driver)
    assert [e for e in log if e["type"] == "error"] == []
    sent = [e["sent"] for e in log if e["type"] == "progress"]
    assert sent == sorted(sent)
    assert sent[-1] == size
    stored = StoredFile.objects.get()
    assert (stored.sha256, stored.size, stored.owner) == (sha, size, user)
    assert stored.content_type == "image/png"
    assert hashlib.sha256(stored.open().read()).hexdigest() == sha


def test_uppy_aws_s3_multipart_straight_to_s3(driver: Any, user: Any, tmp_path: Path) -> None:
    import boto3

    from tests.files.conftest import s3_storage_config
    from tests.files.servers import moto_server

    moto = moto_server(bucket_cors=True)
    server = None
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=moto.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket="direct")
        server = django_server(
            str(connection.settings_dict["NAME"]),
            {"s3": s3_storage_config(moto.url, "direct")},
            {"DISK": "s3"},
        )
        s3.put_bucket_cors(  # what a bucket needs for direct browser uploads
            Bucket="direct",
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": [server.url],
                        "AllowedMethods": ["PUT", "GET"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                    }
                ]
            },
        )
        open_upload_page(driver, server, user, "?via=s3")
        sha, size = driver.execute_async_script(MAKE_FILE, 1400)
        assert size > 5 * 1024 * 1024  # two parts at least

        driver.execute_script("window.uppy.upload()")
        wait_for(lambda: any(e["type"] in ("success", "error") for e in events(driver)), 120)
        log = events(driver)
        assert [e for e in log if e["type"] == "error"] == []
        sent = [e["sent"] for e in log if e["type"] == "progress"]
        assert sent == sorted(sent)
        assert sent[-1] == size
        stored = StoredFile.objects.get()
        assert (stored.sha256, stored.size, stored.owner, stored.disk) == (sha, size, user, "s3")
        assert stored.content_type == "image/png"
        head = s3.head_object(Bucket="direct", Key=stored.path)
        assert head["ETag"].strip('"').endswith("-2")  # completed from two uploaded parts
        body = s3.get_object(Bucket="direct", Key=stored.path)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == sha
    finally:
        if server is not None:
            server.stop()
        moto.stop()
