"""The admin of stored files: list with previews, search, filters and the two actions."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client, override_settings

from forge_suite.files import disk, store
from forge_suite.files.models import StoredFile
from tests.files.conftest import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


def test_changelist_search_filter_and_preview(admin: Client, local_disk: str) -> None:
    image = store(io.BytesIO(png_bytes()), "sunset.png")
    store(io.BytesIO(pdf_bytes()), "invoice.pdf")
    page = admin.get("/admin/forge_files/storedfile/")
    assert page.status_code == 200
    assert f"/files/d/{image.key}?inline=1".encode() in page.content  # image preview
    found = admin.get("/admin/forge_files/storedfile/", {"q": "invoice"})
    assert b"invoice.pdf" in found.content
    assert b"sunset.png" not in found.content
    filtered = admin.get("/admin/forge_files/storedfile/", {"content_type": "image/png"})
    assert b"sunset.png" in filtered.content
    assert admin.get(f"/admin/forge_files/storedfile/{image.pk}/change/").status_code == 200


def test_delete_action_removes_blobs(admin: Client, local_disk: str) -> None:
    stored = store(io.BytesIO(pdf_bytes()), "gone.pdf")
    assert disk().exists(stored.path)
    response = admin.post(
        "/admin/forge_files/storedfile/",
        {"action": "delete_with_blobs", "_selected_action": [stored.pk]},
    )
    assert response.status_code == 302
    assert not StoredFile.objects.exists()
    assert not disk().exists(stored.path)


def test_regenerate_action(admin: Client, local_disk: str) -> None:
    stored = store(io.BytesIO(png_bytes(300, 200)), "p.png")
    variants = {"t": {"fit": [20, 20]}}
    with override_settings(FORGE={"FILES": {"DISK": "local", "VARIANTS": variants}}):
        admin.post(
            "/admin/forge_files/storedfile/",
            {"action": "regenerate_variants", "_selected_action": [stored.pk]},
        )
    stored.refresh_from_db()
    assert stored.variants["t"]["width"] == 20


def test_tus_uploads_are_read_only(admin: Client) -> None:
    assert admin.get("/admin/forge_files/tusupload/").status_code == 200
    assert admin.get("/admin/forge_files/tusupload/add/").status_code == 403
