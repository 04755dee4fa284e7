"""tus on an S3 disk, request by request: small chunks gathered into 5 MiB parts through the
pending ``.part`` object, concatenation, and finishing after a crash."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
from django.test import Client

from forge_suite.files.models import StoredFile, TusUpload, UploadState
from tests.files.conftest import pdf_bytes
from tests.files.test_tus_protocol import Tus

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024


@pytest.fixture
def tus(client: Client, user: Any, s3_disk: str) -> Tus:
    client.force_login(user)
    return Tus(client)


def test_small_chunks_become_5_mib_parts(
    tus: Tus, s3_client: Any, s3_bucket: str, django_capture_on_commit_callbacks: Any
) -> None:
    data = pdf_bytes(int(7.5 * MiB))
    url = tus.create(len(data))["Location"]
    cuts = [0, 2 * MiB, 4 * MiB, 6 * MiB, len(data)]
    for start, end in itertools.pairwise(cuts):
        with django_capture_on_commit_callbacks(execute=True):
            response = tus.patch(url, data[start:end], start)
        assert response.status_code == 204, response.content
        assert response["Upload-Offset"] == str(end)
        upload = TusUpload.objects.get()
        if end == 2 * MiB:  # too small for a part: kept in S3 as the pending object
            assert (upload.pending_size, upload.parts) == (2 * MiB, [])
            assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]] == [
                upload.pending_path
            ]
        if end == 6 * MiB:  # 2 + 2 + 2 MiB gathered into part 1
            assert [p["size"] for p in upload.parts] == [6 * MiB]
            assert upload.pending_size == 0
    upload = TusUpload.objects.get()
    assert [p["size"] for p in upload.parts] == [6 * MiB, len(data) - 6 * MiB]
    assert upload.state == UploadState.COMPLETE
    stored = StoredFile.objects.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == [stored.path]


def test_concatenation_on_s3(tus: Tus, django_capture_on_commit_callbacks: Any) -> None:
    data = pdf_bytes(7 * MiB)
    urls = []
    for start, end in ((0, 1 * MiB), (1 * MiB, 7 * MiB)):
        url = tus.create(end - start, HTTP_UPLOAD_CONCAT="partial")["Location"]
        assert tus.patch(url, data[start:end], 0).status_code == 204
        urls.append(url)
    with django_capture_on_commit_callbacks(execute=True):
        final = tus.create(None, name="joined.pdf", HTTP_UPLOAD_CONCAT="final;" + " ".join(urls))
    assert final.status_code == 201, final.content
    assert StoredFile.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_head_finishes_an_upload_whose_last_patch_crashed(
    tus: Tus, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from forge_suite.files.tus import views

    data = pdf_bytes(3000)
    url = tus.create(len(data))["Location"]

    def crash(upload: Any) -> None:
        raise RuntimeError("process died after the last PATCH was recorded")

    monkeypatch.setattr(views, "finalize", crash)
    tus.client.raise_request_exception = False
    assert tus.patch(url, data, 0).status_code == 500
    assert TusUpload.objects.get().offset == len(data)
    assert not StoredFile.objects.exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        head = tus.head(url)
    assert head["Upload-Offset"] == str(len(data))
    assert StoredFile.objects.get().sha256 == hashlib.sha256(data).hexdigest()
