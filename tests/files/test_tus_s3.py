"""tus on an S3 disk, request by request: small chunks gathered into 5 MiB parts through the
pending ``.part`` object, concatenation, and finishing after a crash."""

from __future__ import annotations

import hashlib
import itertools
import time
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
        if end == 6 * MiB:  # part 1 is cut when 5 MiB are in; 1 MiB waits for the next PATCH
            assert [p["size"] for p in upload.parts] == [5 * MiB]
            assert upload.pending_size == 1 * MiB
    upload = TusUpload.objects.get()
    assert [p["size"] for p in upload.parts] == [5 * MiB, len(data) - 5 * MiB]
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


def sha1_header(data: bytes) -> str:
    import base64

    return "sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode()


def test_one_long_patch_is_cut_into_parts_and_the_rest_waits(
    tus: Tus, s3_client: Any, s3_bucket: str, django_capture_on_commit_callbacks: Any
) -> None:
    data = pdf_bytes(13 * MiB)
    url = tus.create(len(data))["Location"]
    response = tus.patch(url, data[: 12 * MiB], 0)
    assert response.status_code == 204, response.content
    upload = TusUpload.objects.get()
    assert [p["size"] for p in upload.parts] == [5 * MiB, 5 * MiB]
    assert [p["n"] for p in upload.parts] == [1, 2]
    assert upload.pending_size == 2 * MiB  # under a part: kept as the pending object
    with django_capture_on_commit_callbacks(execute=True):
        assert tus.patch(url, data[12 * MiB :], 12 * MiB).status_code == 204
    upload = TusUpload.objects.get()
    assert [p["size"] for p in upload.parts] == [5 * MiB, 5 * MiB, 3 * MiB]
    stored = StoredFile.objects.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    body = s3_client.get_object(Bucket=s3_bucket, Key=stored.path)["Body"].read()
    assert body == data
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == [stored.path]  # no pending object left


def test_a_refused_long_patch_records_no_part(
    tus: Tus, django_capture_on_commit_callbacks: Any
) -> None:
    data = pdf_bytes(3 * MiB)
    more = pdf_bytes(12 * MiB)[1024:]
    url = tus.create(len(data) + len(more))["Location"]
    assert tus.patch(url, data, 0).status_code == 204  # pending object of 3 MiB
    wrong = tus.patch(url, more, len(data), HTTP_UPLOAD_CHECKSUM=sha1_header(b"other"))
    assert wrong.status_code == 460
    upload = TusUpload.objects.get()
    assert (upload.offset, upload.parts, upload.pending_size) == (len(data), [], len(data))
    with django_capture_on_commit_callbacks(execute=True):
        right = tus.patch(url, more, len(data), HTTP_UPLOAD_CHECKSUM=sha1_header(more))
    assert right.status_code == 204, right.content
    assert StoredFile.objects.get().sha256 == hashlib.sha256(data + more).hexdigest()


def test_parts_go_to_s3_while_the_body_is_still_arriving(s3_disk: str, s3_client: Any) -> None:
    from django.utils import timezone

    from forge_suite.files.tus.backends import backend_for

    data = pdf_bytes(16 * MiB)
    upload = TusUpload(disk=s3_disk, length=len(data), expires=timezone.now())
    backend = backend_for(s3_disk)
    upload.path = backend.object_path(upload)
    seen_at_end: list[int] = []

    class Body:
        position = 0

        def read(self, size: int) -> bytes:
            if self.position >= len(data) and not seen_at_end:  # the client is done
                # ... but the body has not ended yet: a part already cut must reach S3
                key = backend.key(upload.path)
                deadline = time.monotonic() + 20
                while not seen_at_end and time.monotonic() < deadline:
                    listed = s3_client.list_parts(
                        Bucket=backend.bucket, Key=key, UploadId=upload.multipart_id
                    )
                    if listed.get("Parts"):
                        seen_at_end.append(len(listed["Parts"]))
                    time.sleep(0.05)
                seen_at_end.append(0)
            block = data[self.position : self.position + size]
            self.position += len(block)
            return block

    written, broken = backend.write(upload, Body(), len(data), None)
    assert (written, broken) == (len(data), False)
    assert seen_at_end[0] >= 1  # part 1 was in S3 before the body ended
    assert [p["size"] for p in upload.parts] == [5 * MiB, 5 * MiB, 5 * MiB, 1 * MiB]
