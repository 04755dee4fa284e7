"""Direct-to-S3 uploads with the @uppy/aws-s3 5.x endpoint contract, parts PUT to moto."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import requests
from django.test import Client

from forge_suite.files.models import MultipartUpload, StoredFile
from tests.files.conftest import pdf_bytes
from tests.files.hostile import HTML

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024


@pytest.fixture
def api(client: Client, user: Any, s3_disk: str) -> Client:
    client.force_login(user)
    return client


def uppy_upload(api: Client, data: bytes, name: str, part_size: int = 5 * MiB) -> Any:
    """What @uppy/aws-s3 does: create, sign each part, PUT it, list, complete."""
    created = api.post(
        "/files/s3/multipart",
        json.dumps({"filename": name, "type": "application/pdf", "metadata": {}}),
        content_type="application/json",
    )
    assert created.status_code == 200, created.content
    key, upload_id = created.json()["key"], created.json()["uploadId"]
    parts = []
    for number, start in enumerate(range(0, len(data), part_size), start=1):
        signed = api.get(f"/files/s3/multipart/{upload_id}/{number}", {"key": key}).json()
        put = requests.put(signed["url"], data=data[start : start + part_size], timeout=30)
        assert put.status_code == 200
        parts.append({"PartNumber": number, "ETag": put.headers["ETag"]})
    listed = api.get(f"/files/s3/multipart/{upload_id}", {"key": key}).json()
    assert [p["PartNumber"] for p in listed] == [p["PartNumber"] for p in parts]
    return api.post(
        f"/files/s3/multipart/{upload_id}/complete?key={key}",
        json.dumps({"parts": parts}),
        content_type="application/json",
    )


def test_multipart_upload_becomes_a_stored_file(
    api: Client, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = pdf_bytes(11 * MiB)
    with django_capture_on_commit_callbacks(execute=True):
        done = uppy_upload(api, data, "../scan.pdf")
    assert done.status_code == 200, done.content
    assert "location" in done.json()
    stored = StoredFile.objects.get()
    assert (stored.owner, stored.original_name, stored.size) == (user, "scan.pdf", len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert not MultipartUpload.objects.exists()


def test_disguised_file_is_deleted_on_complete(api: Client, s3_client: Any, s3_bucket: str) -> None:
    done = uppy_upload(api, HTML, "cat.pdf")
    assert done.status_code == 422
    assert not StoredFile.objects.exists()
    assert s3_client.list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []


def test_abort_and_ownership(api: Client, other_user: Any, s3_client: Any, s3_bucket: str) -> None:
    created = api.post(
        "/files/s3/multipart", json.dumps({"filename": "a.pdf"}), content_type="application/json"
    ).json()
    other = Client()
    other.force_login(other_user)
    url = f"/files/s3/multipart/{created['uploadId']}"
    assert other.get(f"{url}/1", {"key": created["key"]}).status_code == 404
    assert api.get(f"{url}/0", {"key": created["key"]}).status_code == 400
    assert api.get(f"{url}/10001", {"key": created["key"]}).status_code == 400
    bad = api.post(
        f"{url}/complete?key={created['key']}",
        json.dumps({"parts": [{"PartNumber": "1"}]}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert api.delete(f"{url}?key={created['key']}").status_code == 200
    assert s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_single_put_params(api: Client, s3_client: Any, s3_bucket: str) -> None:
    answer = api.get("/files/s3/params", {"filename": "x.pdf", "type": "application/pdf"}).json()
    assert answer["method"] == "PUT"
    put = requests.put(answer["url"], data=b"%PDF-1.4 hi", headers=answer["headers"], timeout=10)
    assert put.status_code == 200
    assert (
        s3_client.get_object(Bucket=s3_bucket, Key=answer["key"])["Body"].read() == b"%PDF-1.4 hi"
    )


def test_needs_a_user(client: Client, s3_disk: str) -> None:
    assert (
        client.post("/files/s3/multipart", "{}", content_type="application/json").status_code == 401
    )
