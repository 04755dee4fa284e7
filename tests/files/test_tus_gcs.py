"""tus on a GCS disk (gcp-storage-emulator): every part is an object, composed into the file
when the upload completes (more than 32 parts through intermediate objects), partial uploads
composed by concatenation, and nothing left behind by termination or a refused file."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client, override_settings

from forge_suite.files import disk
from forge_suite.files.models import StoredFile, TusUpload, UploadState
from tests.files.conftest import pdf_bytes
from tests.files.test_tus_protocol import Tus

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024
KiB = 1024


@pytest.fixture
def tus(client: Client, user: Any, gcs_disk: str) -> Tus:
    client.force_login(user)
    return Tus(client)


def leftovers(upload: TusUpload) -> list[str]:
    """Objects of the upload's staging area still in the bucket (parts, intermediates)."""
    bucket = disk("gcs").storage.bucket  # type: ignore[attr-defined]
    return sorted(b.name for b in bucket.list_blobs(prefix=upload.staging_path))


def test_parts_are_composed_into_the_file(
    tus: Tus, django_capture_on_commit_callbacks: Any
) -> None:
    data = pdf_bytes(13 * MiB)
    url = tus.create(len(data))["Location"]
    assert tus.patch(url, data[: 2 * MiB], 0).status_code == 204
    upload = TusUpload.objects.get()
    assert [p["size"] for p in upload.parts] == [2 * MiB]  # no minimum size: no pending bytes
    assert leftovers(upload) == [upload.parts[0]["name"]]
    with django_capture_on_commit_callbacks(execute=True):
        done = tus.patch(url, data[2 * MiB :], 2 * MiB)  # one long PATCH, cut while it arrives
    assert done.status_code == 204, done.content
    upload = TusUpload.objects.get()
    assert (upload.state, upload.parts) == (UploadState.COMPLETE, [])
    stored = StoredFile.objects.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert disk("gcs").get(stored.path) == data
    assert leftovers(upload) == []


def test_more_parts_than_one_compose_takes(
    tus: Tus, django_capture_on_commit_callbacks: Any
) -> None:
    data = pdf_bytes(70 * 64 * KiB + 1000)  # 71 parts: three composes, then one of those
    with override_settings(FORGE={"FILES": {"DISK": "gcs", "TUS_PART_SIZE": 64 * KiB}}):
        url = tus.create(len(data))["Location"]
        with django_capture_on_commit_callbacks(execute=True):
            assert tus.patch(url, data, 0).status_code == 204
    stored = StoredFile.objects.get()
    assert disk("gcs").get(stored.path) == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert leftovers(TusUpload.objects.get()) == []


def test_concatenation_composes_the_partial_uploads(
    tus: Tus, django_capture_on_commit_callbacks: Any
) -> None:
    data = pdf_bytes(3 * MiB)
    urls = []
    for start, end in ((0, 1 * MiB), (1 * MiB, 3 * MiB)):
        url = tus.create(end - start, HTTP_UPLOAD_CONCAT="partial")["Location"]
        assert tus.patch(url, data[start:end], 0).status_code == 204
        urls.append(url)
    with django_capture_on_commit_callbacks(execute=True):
        final = tus.create(None, name="joined.pdf", HTTP_UPLOAD_CONCAT="final;" + " ".join(urls))
    assert final.status_code == 201, final.content
    stored = StoredFile.objects.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert disk("gcs").get(stored.path) == data


def test_termination_and_a_refused_file_leave_nothing(tus: Tus) -> None:
    data = pdf_bytes(1 * MiB)
    url = tus.create(2 * MiB)["Location"]
    assert tus.patch(url, data, 0).status_code == 204
    upload = TusUpload.objects.get()
    assert leftovers(upload)
    assert tus.client.delete(url, HTTP_TUS_RESUMABLE="1.0.0").status_code == 204
    assert leftovers(upload) == []

    html = b"<html><script>alert(1)</script></html>" * 100
    url = tus.create(len(html), name="cat.pdf")["Location"]
    refused = tus.patch(url, html, 0)
    assert refused.status_code == 422
    upload = TusUpload.objects.get(pk=url.rstrip("/").rsplit("/", 1)[-1])
    assert upload.state == UploadState.REJECTED
    assert leftovers(upload) == []
    assert not disk("gcs").exists(upload.path)
    assert not StoredFile.objects.exists()


def test_more_parts_than_gcs_composes_is_413(tus: Tus, monkeypatch: pytest.MonkeyPatch) -> None:
    from forge_suite.files.tus import gcs

    monkeypatch.setattr(gcs, "MAX_PARTS", 3)
    data = pdf_bytes(4 * 64 * KiB)
    with override_settings(FORGE={"FILES": {"DISK": "gcs", "TUS_PART_SIZE": 64 * KiB}}):
        url = tus.create(len(data) + 1)["Location"]
        refused = tus.patch(url, data, 0)
    assert refused.status_code == 413
    assert b"send larger chunks" in refused.content
    assert TusUpload.objects.get().offset == 0
