"""Acceptance: tuspy uploads to a real server process that is SIGKILLed mid-upload and
restarted; the client resumes from the server's offset and the stored bytes match."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from tusclient.client import TusClient

from forge_suite.files.models import StoredFile, TusUpload
from tests.files.conftest import bearer_token, s3_storage_config
from tests.files.servers import django_server
from tests.support.servers import ServerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MiB = 1024 * 1024
#: The acceptance size (200 MB in 5 MB chunks); FORGE_TUS_TEST_MB makes a quicker local run.
SIZE = int(os.environ.get("FORGE_TUS_TEST_MB", "200")) * MiB
CHUNK = 5 * MiB


@pytest.fixture
def big_file(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "big.pdf"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        block = b"%PDF-1.4\n" + os.urandom(MiB - 9)
        for i in range(SIZE // MiB):
            data = block if i == 0 else os.urandom(MiB)
            digest.update(data)
            out.write(data)
    return path, digest.hexdigest()


def upload_with_crash(
    server: ServerProcess, token: str, path: Path, kill_at: int
) -> dict[str, Any]:
    """Upload ``path`` with tuspy while this thread SIGKILLs and restarts the server once the
    server has acknowledged ``kill_at`` bytes."""
    client = TusClient(f"{server.url}/files/tus/", headers={"Authorization": f"Bearer {token}"})
    uploader = client.uploader(
        str(path), chunk_size=CHUNK, metadata={"filename": path.name}, retries=60, retry_delay=1
    )
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            uploader.upload()
        except Exception as exc:  # reported to the test below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        row = TusUpload.objects.first()
        if row is not None and row.offset >= kill_at:
            break
        time.sleep(0.05)
    outcome["offset_at_kill"] = TusUpload.objects.get().offset
    server.kill()
    outcome["offset_after_kill"] = TusUpload.objects.get().offset
    time.sleep(1)
    server.start()
    worker.join(600)
    assert not worker.is_alive(), "tuspy did not finish"
    outcome["uploader"] = uploader
    return outcome


def resume_after_crash(server: ServerProcess, user: Any, path: Path) -> None:
    """:func:`upload_with_crash` at half the file, then the server stopped: tuspy finished
    without an error and the kill came after half the bytes, before the last."""
    try:
        outcome = upload_with_crash(server, bearer_token(user), path, kill_at=SIZE // 2)
    finally:
        server.stop()
    assert "error" not in outcome, outcome.get("error")
    assert SIZE // 2 <= outcome["offset_after_kill"] < SIZE


def _db_name() -> str:
    return str(connection.settings_dict["NAME"])


def test_tuspy_resumes_after_sigkill_on_local_disk(
    big_file: tuple[Path, str], tmp_path: Path, user: Any
) -> None:
    path, sha = big_file
    storages = {
        "local": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "disk")},
        }
    }
    server = django_server(_db_name(), storages, {"DISK": "local", "TUS_MAX_SIZE": 1024 * MiB})
    resume_after_crash(server, user, path)
    stored = StoredFile.objects.get()
    assert stored.sha256 == sha
    assert stored.size == SIZE
    assert stored.owner == user
    on_disk = tmp_path / "disk" / stored.path
    assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == sha
    assert list((tmp_path / "disk" / "tus").glob("*")) == []  # staging moved away


def test_tuspy_resumes_after_sigkill_on_s3_multipart(
    big_file: tuple[Path, str], moto: ServerProcess, s3_bucket: str, s3_client: Any, user: Any
) -> None:
    path, sha = big_file
    storages = {"s3": s3_storage_config(moto.url, s3_bucket)}
    server = django_server(_db_name(), storages, {"DISK": "s3", "TUS_MAX_SIZE": 1024 * MiB})
    resume_after_crash(server, user, path)
    stored = StoredFile.objects.get()
    assert stored.sha256 == sha
    upload = TusUpload.objects.get()
    # Every PATCH became one multipart part of 5 MiB (the last may be smaller).
    sizes = [p["size"] for p in sorted(upload.parts, key=lambda p: p["n"])]
    assert sum(sizes) == SIZE
    assert all(size >= 5 * MiB for size in sizes[:-1])
    assert len(sizes) == SIZE // CHUNK
    body = s3_client.get_object(Bucket=s3_bucket, Key=stored.path)["Body"]
    digest = hashlib.sha256()
    for block in body.iter_chunks(MiB):
        digest.update(block)
    assert digest.hexdigest() == sha
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert keys == [stored.path]  # no staging object, no pending .part
    assert s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_tuspy_resumes_after_sigkill_on_gcs(
    big_file: tuple[Path, str],
    gcs_emulator: ServerProcess,
    user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage as gcs

    path, sha = big_file
    storages = {
        "gcs": {
            "BACKEND": "storages.backends.gcloud.GoogleCloudStorage",
            "OPTIONS": {"bucket_name": "forge-gcs", "project_id": "forge-test"},
        }
    }
    server = django_server(
        _db_name(),
        storages,
        {"DISK": "gcs", "TUS_MAX_SIZE": 1024 * MiB},
        env={"STORAGE_EMULATOR_HOST": gcs_emulator.url},
    )
    resume_after_crash(server, user, path)
    stored = StoredFile.objects.get()
    assert stored.sha256 == sha
    upload = TusUpload.objects.get()
    assert upload.parts == []  # composed, then deleted
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
    client = gcs.Client(project="forge-test", credentials=AnonymousCredentials())
    bucket = client.bucket("forge-gcs")
    digest = hashlib.sha256()
    with bucket.blob(stored.path).open("rb", chunk_size=4 * MiB) as fh:
        while block := fh.read(4 * MiB):
            digest.update(block)
    assert digest.hexdigest() == sha
    assert list(bucket.list_blobs(prefix=upload.staging_path)) == []


def test_chunked_bodies_over_a_real_server(tmp_path: Path, user: Any) -> None:
    """Chunked requests (no Content-Length) through a real WSGI server: a raw upload over the
    limit is refused while streaming, a chunked tus PATCH is stored, a creation-with-upload
    too."""
    import base64

    import requests

    storages = {
        "local": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "disk")},
        }
    }
    server = django_server(_db_name(), storages, {"DISK": "local", "MAX_UPLOAD_SIZE": MiB})
    auth = {"Authorization": f"Bearer {bearer_token(user)}"}

    def chunks(data: bytes, size: int = 64 * 1024) -> Any:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    try:
        big = b"%PDF-1.4\n" + os.urandom(3 * MiB)
        refused = requests.put(
            f"{server.url}/files/upload?filename=a.pdf", data=chunks(big), headers=auth, timeout=30
        )
        assert refused.status_code == 413
        assert "while streaming" in refused.json()["error"]

        data = b"%PDF-1.4\n" + os.urandom(200_000)
        tus = {**auth, "Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}
        name = base64.b64encode(b"c.pdf").decode()
        created = requests.post(
            f"{server.url}/files/tus/",
            data=chunks(data[:100_000]),
            headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": f"filename {name}"},
            timeout=30,
        )
        assert created.status_code == 201
        assert created.headers["Upload-Offset"] == "100000"
        done = requests.patch(
            created.headers["Location"],
            data=chunks(data[100_000:]),
            headers={**tus, "Upload-Offset": "100000"},
            timeout=30,
        )
        assert done.status_code == 204
        assert done.headers["Upload-Offset"] == str(len(data))
    finally:
        server.stop()
    assert StoredFile.objects.get().sha256 == hashlib.sha256(data).hexdigest()
