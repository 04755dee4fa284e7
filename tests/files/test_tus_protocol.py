"""The tus 1.0.0 protocol, request by request (in-process, on a local disk)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from forge_suite.files.models import StoredFile, TusUpload, UploadState
from tests.files.conftest import bearer_token, pdf_bytes
from tests.files.hostile import HTML

pytestmark = pytest.mark.django_db
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


class Tus:
    def __init__(self, client: Client) -> None:
        self.client = client

    def create(self, length: int | None = None, name: str = "doc.pdf", **headers: str) -> Any:
        extra = {**TUS, "HTTP_UPLOAD_METADATA": f"filename {b64(name)},public"}
        if length is not None:
            extra["HTTP_UPLOAD_LENGTH"] = str(length)
        extra.update(headers)
        return self.client.post("/files/tus/", **extra)

    def patch(
        self, url: str, data: bytes, offset: int, content_type: str = OCTETS, **headers: str
    ) -> Any:
        return self.client.generic(
            "PATCH",
            url,
            data,
            content_type=content_type,
            **{**TUS, "HTTP_UPLOAD_OFFSET": str(offset), **headers},
        )

    def head(self, url: str) -> Any:
        return self.client.head(url, **TUS)


@pytest.fixture
def tus(client: Client, local_disk: str, user: Any) -> Tus:
    client.force_login(user)
    return Tus(client)


def test_options_advertises_the_server() -> None:
    response = Client().options("/files/tus/")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "creation-defer-length",
        "expiration",
        "checksum",
        "termination",
        "concatenation",
    }
    assert int(response["Tus-Max-Size"]) > 0
    assert "sha1" in response["Tus-Checksum-Algorithm"].split(",")


def test_full_upload_in_chunks(
    tus: Tus, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = pdf_bytes(10_000)
    created = tus.create(len(data))
    assert created.status_code == 201
    assert created["Tus-Resumable"] == "1.0.0"
    assert "Upload-Expires" in created
    url = created["Location"]
    head = tus.head(url)
    assert (head.status_code, head["Upload-Offset"], head["Upload-Length"]) == (200, "0", "10000")
    assert head["Cache-Control"] == "no-store"
    assert head["Upload-Metadata"].startswith("filename ")
    first = tus.patch(url, data[:4000], 0)
    assert (first.status_code, first["Upload-Offset"]) == (204, "4000")
    assert "Upload-Expires" in first
    with django_capture_on_commit_callbacks(execute=True):
        last = tus.patch(url, data[4000:], 4000)
    assert (last.status_code, last["Upload-Offset"]) == (204, "10000")
    stored = StoredFile.objects.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.owner, stored.original_name, stored.content_type) == (
        user,
        "doc.pdf",
        "application/pdf",
    )
    assert tus.head(url)["Upload-Offset"] == "10000"


def test_wrong_offset_is_409_and_changes_nothing(tus: Tus) -> None:
    url = tus.create(100)["Location"]
    assert tus.patch(url, b"a" * 10, 5).status_code == 409
    assert tus.head(url)["Upload-Offset"] == "0"


def test_wrong_content_type_is_415(tus: Tus) -> None:
    url = tus.create(100)["Location"]
    assert tus.patch(url, b"a", 0, content_type="application/octet-stream").status_code == 415


def test_over_the_maximum_is_413(tus: Tus) -> None:
    with override_settings(FORGE={"FILES": {"DISK": "local", "TUS_MAX_SIZE": 1000}}):
        assert tus.create(1001).status_code == 413
        url = tus.create(100)["Location"]
        assert tus.patch(url, b"a" * 101, 0).status_code == 413
        assert tus.head(url)["Upload-Offset"] == "0"


def test_checksum(tus: Tus) -> None:
    url = tus.create(20)["Location"]
    chunk = b"0123456789"
    good = base64.b64encode(hashlib.sha1(chunk).digest()).decode()
    bad = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    assert tus.patch(url, chunk, 0, HTTP_UPLOAD_CHECKSUM=f"sha1 {bad}").status_code == 460
    assert tus.head(url)["Upload-Offset"] == "0"  # the chunk was discarded
    assert tus.patch(url, chunk, 0, HTTP_UPLOAD_CHECKSUM=f"crc99 {good}").status_code == 400
    ok = tus.patch(url, chunk, 0, HTTP_UPLOAD_CHECKSUM=f"sha1 {good}")
    assert (ok.status_code, ok["Upload-Offset"]) == (204, "10")


def test_unsupported_version_is_412(tus: Tus) -> None:
    response = tus.client.post("/files/tus/", HTTP_TUS_RESUMABLE="0.2.2", HTTP_UPLOAD_LENGTH="5")
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    assert not TusUpload.objects.exists()


def test_termination_then_410_and_unknown_404(tus: Tus) -> None:
    url = tus.create(100)["Location"]
    tus.patch(url, b"abc", 0)
    assert tus.client.delete(url, **TUS).status_code == 204
    assert tus.head(url).status_code == 410
    assert tus.patch(url, b"d", 3).status_code == 410
    assert tus.head("/files/tus/00000000-0000-0000-0000-000000000000").status_code == 404


def test_expired_upload_is_410(tus: Tus) -> None:
    url = tus.create(100)["Location"]
    TusUpload.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert tus.head(url).status_code == 410
    assert tus.patch(url, b"a", 0).status_code == 410


def test_creation_with_upload(tus: Tus, django_capture_on_commit_callbacks: Any) -> None:
    data = pdf_bytes(3000)
    with django_capture_on_commit_callbacks(execute=True):
        response = tus.client.post(
            "/files/tus/",
            data,
            content_type=OCTETS,
            **TUS,
            HTTP_UPLOAD_LENGTH="3000",
            HTTP_UPLOAD_METADATA=f"filename {b64('one.pdf')}",
        )
    assert response.status_code == 201
    assert response["Upload-Offset"] == "3000"
    assert "Location" in response
    assert StoredFile.objects.get().size == 3000


def test_defer_length(tus: Tus) -> None:
    created = tus.create(None, HTTP_UPLOAD_DEFER_LENGTH="1")
    assert created.status_code == 201
    url = created["Location"]
    assert tus.head(url)["Upload-Defer-Length"] == "1"
    data = pdf_bytes(2000)
    assert tus.patch(url, data[:1000], 0).status_code == 204
    done = tus.patch(url, data[1000:], 1000, HTTP_UPLOAD_LENGTH="2000")
    assert done.status_code == 204
    head = tus.head(url)
    assert head["Upload-Length"] == "2000"
    assert "Upload-Defer-Length" not in head
    assert tus.create(None, HTTP_UPLOAD_DEFER_LENGTH="2").status_code == 400


def test_concatenation(tus: Tus, django_capture_on_commit_callbacks: Any) -> None:
    data = pdf_bytes(5000)
    urls = []
    for start, end in ((0, 2000), (2000, 5000)):
        url = tus.create(end - start, HTTP_UPLOAD_CONCAT="partial")["Location"]
        assert tus.patch(url, data[start:end], 0).status_code == 204
        assert tus.head(url)["Upload-Concat"] == "partial"
        urls.append(url)
    with django_capture_on_commit_callbacks(execute=True):
        final = tus.create(None, name="joined.pdf", HTTP_UPLOAD_CONCAT="final;" + " ".join(urls))
    assert final.status_code == 201, final.content
    head = tus.head(final["Location"])
    assert head["Upload-Concat"].startswith("final;")
    assert (head["Upload-Offset"], head["Upload-Length"]) == ("5000", "5000")
    assert tus.patch(final["Location"], b"x", 5000).status_code == 403
    stored = StoredFile.objects.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_validation_on_completion_refuses_and_keeps_nothing(tus: Tus, tmp_path: Any) -> None:
    url = tus.create(len(HTML), name="cat.jpg")["Location"]
    response = tus.patch(url, HTML, 0)
    assert response.status_code == 422
    assert TusUpload.objects.get().state == UploadState.REJECTED
    assert not StoredFile.objects.exists()
    assert list((tmp_path / "disk").rglob("*.bin")) == []
    assert tus.head(url).status_code == 410


def test_anonymous_refused_bearer_accepted(local_disk: str, user: Any, other_user: Any) -> None:
    anonymous = Tus(Client())
    assert anonymous.create(10).status_code == 401
    token = bearer_token(user)
    bearer = Tus(Client(HTTP_AUTHORIZATION=f"Bearer {token}"))
    url = bearer.create(10)["Location"]
    assert bearer.head(url).status_code == 200
    assert TusUpload.objects.get().owner == user
    assert Tus(Client(HTTP_AUTHORIZATION="Bearer nope")).create(10).status_code == 401
    other = Client()
    other.force_login(other_user)
    assert Tus(other).head(url).status_code == 404  # someone else's upload


def test_session_needs_csrf(local_disk: str, user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert Tus(client).create(10).status_code == 403


def test_quota(tus: Tus, user: Any) -> None:
    with override_settings(FORGE={"FILES": {"DISK": "local", "USER_QUOTA": 5000}}):
        assert tus.create(3000).status_code == 201
        refused = tus.create(3000)
        assert refused.status_code == 413
        assert b"quota" in refused.content


def test_method_override(tus: Tus) -> None:
    url = tus.create(10)["Location"]
    response = tus.client.post(
        url,
        b"abc",
        content_type=OCTETS,
        **TUS,
        HTTP_UPLOAD_OFFSET="0",
        HTTP_X_HTTP_METHOD_OVERRIDE="PATCH",
    )
    assert (response.status_code, response["Upload-Offset"]) == (204, "3")


def test_gallery_demo_pages(client: Client, local_disk: str, user: Any) -> None:
    assert client.get("/gallery/upload/").status_code == 302  # login first
    client.force_login(user)
    page = client.get("/gallery/upload/?chunk=262144")
    assert page.status_code == 200
    assert b"gallery/vendor/uppy.min.js" in page.content
    assert b'"chunkSize": 262144' in page.content
    assert client.get("/gallery/").status_code == 200


def test_the_sha256_is_taken_as_the_bytes_arrive(
    tus: Tus, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """A process that received every byte needs no second pass; an upload whose PATCHes
    were served by another process (or before a restart) gets one pass, and the same hash."""
    from forge_suite.files.tus import digests, finalize

    passes: list[str] = []
    opened = finalize.open_staged

    def counting(upload: Any) -> Any:
        reader, chunks = opened(upload)

        def counted() -> Any:
            passes.append(str(upload.pk))
            yield from chunks()

        return reader, counted

    monkeypatch.setattr(finalize, "open_staged", counting)
    for other_process in (False, True):
        data = pdf_bytes(300_000)
        url = tus.create(len(data))["Location"]
        assert tus.patch(url, data[:100_000], 0).status_code == 204
        if other_process:
            digests.running.forget(TusUpload.objects.get(state=UploadState.ACTIVE).pk)
        with django_capture_on_commit_callbacks(execute=True):
            assert tus.patch(url, data[100_000:], 100_000).status_code == 204
        stored = StoredFile.objects.get(sha256=hashlib.sha256(data).hexdigest())
        assert len(passes) == (1 if other_process else 0), stored


def test_hashing_works_in_a_forked_child_after_the_parent_hashed() -> None:
    """The hashing threads are per process: a child forked after the parent hashed (a
    pre-forking server, a prefork worker) gets its own instead of waiting for ever."""
    import io
    import os
    import signal

    from forge_suite.files.tus.streams import copy_stream

    data = os.urandom(1024 * 1024)

    def digest_of_copy() -> str:
        digest = hashlib.sha256()
        copy_stream(io.BytesIO(data), io.BytesIO(), len(data), None, digest)
        return digest.hexdigest()

    assert digest_of_copy() == hashlib.sha256(data).hexdigest()
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the copy finishes with the right digest
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # killed, not pytest-timeout's handler
        signal.alarm(10)
        ok = digest_of_copy() == hashlib.sha256(data).hexdigest()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
