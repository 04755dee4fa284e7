"""The files endpoints through the API with a user's bearer token: upload (multipart and raw
body), list, metadata, signed links; disguised files and other users' files refused."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
import requests
from PIL import Image

from tests.api.conftest import MachineClient
from tests.support.oauth import bearer
from tests.support.servers import ServerProcess

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.files"),
    pytest.mark.django_db(transaction=True),
]


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 16), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def test_upload_list_describe_and_link(
    api_server: ServerProcess, machine_client: Callable[..., MachineClient]
) -> None:
    from django.contrib.auth import get_user_model

    ann, ben = (get_user_model().objects.create_user(n, password="x") for n in ("ann", "ben"))
    files = f"{api_server.url}/api/v1/files/"
    writer = bearer("files:read files:write", ann)

    multipart = requests.post(
        files, files={"file": ("photo.png", png(), "image/png")}, headers=writer, timeout=30
    )
    assert multipart.status_code == 201, multipart.content
    raw = requests.post(
        files,
        params={"filename": "raw.png"},
        data=png(),
        headers={**writer, "Content-Type": "application/octet-stream"},
        timeout=30,
    )
    assert raw.status_code == 201, raw.content
    disguised = requests.post(
        files,
        files={"file": ("invoice.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        headers=writer,
        timeout=30,
    )
    assert disguised.status_code in {400, 415}, disguised.content
    assert "error" in disguised.json()

    listed = requests.get(files, headers=writer, timeout=10).json()["results"]
    assert [row["original_name"] for row in listed] == ["raw.png", "photo.png"]
    key = multipart.json()["key"]
    meta = requests.get(f"{files}{key}/", headers=writer, timeout=10).json()
    assert (meta["content_type"], meta["size"]) == ("image/png", len(png()))

    link = requests.post(f"{files}{key}/url/", json={"expires": 60}, headers=writer, timeout=10)
    assert link.status_code == 200, link.content
    assert link.json()["expires"] == 60
    downloaded = requests.get(link.json()["url"], timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == png()
    too_long = requests.post(
        f"{files}{key}/url/", json={"expires": 10**9}, headers=writer, timeout=10
    )
    assert too_long.status_code == 400
    assert "expires" in too_long.json()
    misspelt = requests.post(f"{files}{key}/url/", json={"expire": 5}, headers=writer, timeout=10)
    assert misspelt.status_code == 400
    assert "expire" in misspelt.json()

    # Ben cannot see Ann's private file; read scope cannot upload; a machine token has no files.
    other = bearer("files:read files:write", ben)
    assert requests.get(f"{files}{key}/", headers=other, timeout=10).status_code == 404
    assert requests.get(files, headers=other, timeout=10).json()["results"] == []
    reader = bearer("files:read", ann)
    refused = requests.post(
        files, params={"filename": "x.txt"}, data=b"x", headers=reader, timeout=10
    )
    assert refused.status_code == 403
    machine = machine_client().session(["files:read"])
    assert machine.get(files).status_code == 403
