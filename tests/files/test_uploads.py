"""Storing files: the upload endpoint, forms and DRF fields, signals, access to private files."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings

from forge_suite.files import store
from forge_suite.files.exceptions import DisallowedType
from forge_suite.files.models import StoredFile
from forge_suite.files.signals import file_stored, upload_rejected
from forge_suite.files.views import upload
from tests.files.conftest import pdf_bytes, png_bytes
from tests.files.hostile import HTML, png_bomb

pytestmark = pytest.mark.django_db


def test_store_records_what_the_file_really_is(
    local_disk: str, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = png_bytes(40, 30)
    received: list[Any] = []
    file_stored.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t1")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            stored = store(io.BytesIO(data), "../../Ferien Foto.png", owner=user)
    finally:
        file_stored.disconnect(dispatch_uid="t1")
    assert stored.original_name == "Ferien Foto.png"
    assert stored.content_type == "image/png"
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.metadata == {"width": 40, "height": 30}
    assert stored.path.startswith("uploads/")
    assert ".." not in stored.path
    assert stored.open().read() == data
    assert [r["stored_file"] for r in received] == [stored]


def test_refused_file_leaves_no_row_and_no_blob(local_disk: str, user: Any, tmp_path: Any) -> None:
    reasons: list[str] = []
    upload_rejected.connect(
        lambda **kw: reasons.append(kw["reason"]), weak=False, dispatch_uid="t2"
    )
    try:
        with pytest.raises(DisallowedType):
            store(io.BytesIO(HTML), "x.jpg", owner=user)
    finally:
        upload_rejected.disconnect(dispatch_uid="t2")
    assert reasons == ["type"]
    assert not StoredFile.objects.exists()
    assert not (tmp_path / "disk").exists() or not any((tmp_path / "disk").rglob("*.*"))


def test_upload_endpoint_multipart(client: Any, local_disk: str, user: Any) -> None:
    client.force_login(user)
    response = client.post(
        "/files/upload", {"file": SimpleUploadedFile("a.png", png_bytes(), "image/png")}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png"
    stored = StoredFile.objects.get(key=body["key"])
    assert stored.owner == user


def test_upload_endpoint_refuses_a_disguised_file(client: Any, local_disk: str, user: Any) -> None:
    client.force_login(user)
    response = client.post(
        "/files/upload", {"file": SimpleUploadedFile("cat.jpg", HTML, "image/jpeg")}
    )
    assert response.status_code == 415
    assert response.json()["reason"] == "type"
    bomb = client.post(
        "/files/upload", {"file": SimpleUploadedFile("b.png", png_bomb(), "image/png")}
    )
    assert bomb.status_code == 413
    assert bomb.json()["reason"] == "image_too_large"
    assert not StoredFile.objects.exists()


def test_upload_endpoint_needs_a_user(client: Any, local_disk: str) -> None:
    response = client.post("/files/upload", {"file": SimpleUploadedFile("a.png", png_bytes())})
    assert response.status_code == 401


@override_settings(FORGE={"FILES": {"DISK": "local", "MAX_UPLOAD_SIZE": 4096}})
def test_over_the_limit_by_content_length(client: Any, local_disk: str, user: Any) -> None:
    client.force_login(user)
    response = client.post(
        "/files/upload?filename=a.pdf", data=pdf_bytes(5000), content_type="application/pdf"
    )
    assert response.status_code == 413
    assert "limit" in response.json()["error"]


@override_settings(FORGE={"FILES": {"DISK": "local", "MAX_UPLOAD_SIZE": 4096}})
def test_over_the_limit_mid_stream_without_content_length(local_disk: str, user: Any) -> None:
    # A chunked body reaches Django without CONTENT_LENGTH; the limit holds while reading.
    body = pdf_bytes(50_000)
    request = RequestFactory().generic(
        "PUT", "/files/upload?filename=a.pdf", data=b"", content_type="application/pdf"
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["wsgi.input_terminated"] = True
    request.user = user
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    response = upload(request)
    assert response.status_code == 413
    assert b"while streaming" in response.content
    assert not StoredFile.objects.exists()


@override_settings(FORGE={"FILES": {"DISK": "local", "MAX_UPLOAD_SIZE": 4096}})
def test_multipart_over_the_limit_mid_stream(local_disk: str, user: Any) -> None:
    # Content-Length is under the limit: only the handler sees the file is larger.
    request = RequestFactory().post(
        "/files/upload", {"file": SimpleUploadedFile("a.pdf", pdf_bytes(8000))}
    )
    request.META["CONTENT_LENGTH"] = "4000"  # a lying client
    request.user = user
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    response = upload(request)
    assert response.status_code in (400, 413)
    assert not StoredFile.objects.exists()


def test_raw_body_upload(client: Any, local_disk: str, user: Any) -> None:
    client.force_login(user)
    data = pdf_bytes(3000)
    response = client.put(
        "/files/upload?filename=r.pdf&visibility=public",
        data=data,
        content_type="application/octet-stream",
    )
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert response.json()["visibility"] == "public"


def test_form_field(local_disk: str) -> None:
    from django import forms

    from forge_suite.files.forms import ValidatedFileField

    class Form(forms.Form):
        doc = ValidatedFileField(max_size=10_000)

    ok = Form(files={"doc": SimpleUploadedFile("a.png", png_bytes(), "image/png")})
    assert ok.is_valid(), ok.errors
    assert ok.cleaned_data["doc"].forge_validated.content_type == "image/png"
    bad = Form(files={"doc": SimpleUploadedFile("a.jpg", HTML, "image/jpeg")})
    assert not bad.is_valid()
    assert bad.errors.as_data()["doc"][0].code == "type"
    big = Form(files={"doc": SimpleUploadedFile("a.pdf", pdf_bytes(20_000))})
    assert big.errors.as_data()["doc"][0].code == "too_large"


def test_drf_serializer_field() -> None:
    from rest_framework import serializers

    from forge_suite.files.drf import ValidatedFileSerializerField

    class Serializer(serializers.Serializer):
        doc = ValidatedFileSerializerField(allowed_types=["application/pdf"])

    assert Serializer(data={"doc": SimpleUploadedFile("a.pdf", pdf_bytes())}).is_valid()
    bad = Serializer(data={"doc": SimpleUploadedFile("a.pdf", png_bytes())})
    assert not bad.is_valid()
    assert bad.errors["doc"][0].code == "type"


class TestAccess:
    @pytest.fixture
    def private(self, local_disk: str, user: Any) -> StoredFile:
        return store(io.BytesIO(pdf_bytes()), "secret.pdf", owner=user)

    def test_owner_downloads(self, client: Any, private: StoredFile, user: Any) -> None:
        client.force_login(user)
        response = client.get(f"/files/d/{private.key}")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == private.open().read()
        assert response["Content-Type"] == "application/pdf"

    def test_others_and_anonymous_get_404(
        self, client: Any, private: StoredFile, other_user: Any
    ) -> None:
        assert client.get(f"/files/d/{private.key}").status_code == 404
        client.force_login(other_user)
        assert client.get(f"/files/d/{private.key}").status_code == 404

    def test_permission_admits_staff(
        self, client: Any, private: StoredFile, other_user: Any
    ) -> None:
        from django.contrib.auth.models import Permission

        other_user.user_permissions.add(Permission.objects.get(codename="view_storedfile"))
        client.force_login(other_user)
        assert client.get(f"/files/d/{private.key}").status_code == 200

    def test_callable_policy(self, client: Any, private: StoredFile, other_user: Any) -> None:
        with override_settings(
            FORGE={"FILES": {"DISK": "local", "ACCESS_POLICY": "tests.files.policies.bob_only"}}
        ):
            client.force_login(other_user)
            assert client.get(f"/files/d/{private.key}").status_code == 200

    def test_signed_url_of_a_private_file(self, client: Any, private: StoredFile) -> None:
        url = private.url(60)
        assert url.startswith("/files/t/")
        response = client.get(url)
        assert response.status_code == 200
        assert 'filename="secret.pdf"' in response["Content-Disposition"]

    def test_public_file_for_anyone(self, client: Any, local_disk: str) -> None:
        public = store(io.BytesIO(pdf_bytes()), "open.pdf", visibility="public")
        assert client.get(f"/files/d/{public.key}").status_code == 200
