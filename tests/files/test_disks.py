"""Disks over STORAGES and signed temporary URLs of local disks (Range, ETag, tampering)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import override_settings

from forge_suite.files import disk
from forge_suite.files.exceptions import BadSignature, UnknownDisk
from forge_suite.files.signing import sign_path, unsign_path


def test_put_open_exists_size_copy_move_delete(local_disk: str) -> None:
    d = disk()
    assert d.alias == "local"
    assert d.local
    path = d.put("docs/a.txt", b"hello world")
    assert d.exists(path)
    assert d.size(path) == 11
    assert b"".join(d.stream(path, chunk_size=4)) == b"hello world"
    d.put(path, "replaced")  # put replaces
    assert d.get(path) == b"replaced"
    d.copy(path, "docs/b.txt")
    d.move("docs/b.txt", "moved/c.txt")
    assert not d.exists("docs/b.txt")
    assert d.get("moved/c.txt") == b"replaced"
    d.delete(path)
    assert not d.exists(path)


def test_put_file_streams_a_local_file(local_disk: str, tmp_path: Any) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"x" * 100_000)
    d = disk("local")
    d.put_file("big/src.bin", source)
    assert d.size("big/src.bin") == 100_000


def test_unknown_disk_names_the_known_ones() -> None:
    with pytest.raises(UnknownDisk, match="default"):
        disk("nope")


@pytest.fixture
def stored_text(local_disk: str) -> str:
    return disk().put("private/report.txt", b"0123456789" * 10)


def test_temporary_url_serves_the_file(client: Any, stored_text: str) -> None:
    url = disk().temporary_url(stored_text, 60, filename="Rapport été.txt")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"0123456789" * 10
    assert response["Content-Length"] == "100"
    assert "filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_range_requests(client: Any, stored_text: str) -> None:
    url = disk().temporary_url(stored_text, 60)
    part = client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 10-19/100"
    assert b"".join(part.streaming_content) == b"0123456789"
    tail = client.get(url, HTTP_RANGE="bytes=-5")
    assert b"".join(tail.streaming_content) == b"56789"
    open_end = client.get(url, HTTP_RANGE="bytes=95-")
    assert open_end["Content-Range"] == "bytes 95-99/100"
    unsatisfiable = client.get(url, HTTP_RANGE="bytes=500-")
    assert unsatisfiable.status_code == 416
    assert unsatisfiable["Content-Range"] == "bytes */100"
    stale = client.get(url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"other"')
    assert stale.status_code == 200


def test_etag_and_if_none_match(client: Any, stored_text: str) -> None:
    url = disk().temporary_url(stored_text, 60)
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"')
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"nope"').status_code == 200


def test_tampered_token_is_refused(client: Any, stored_text: str) -> None:
    url = disk().temporary_url(stored_text, 60)
    token = url.rsplit("/", 1)[-1]
    forged = sign_path("local", "private/other.txt", 60)[:-3] + token[-3:]
    response = client.get(url.replace(token, forged))
    assert response.status_code == 403
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(url.replace(token, flipped)).status_code == 403


def test_expired_token_is_refused(client: Any, stored_text: str) -> None:
    token = sign_path("local", stored_text, 60)
    with pytest.raises(BadSignature, match="expired"):
        unsign_path(token, now=time.time() + 61)
    expired = sign_path("local", stored_text, -1)
    response = client.get(f"/files/t/{expired}")
    assert response.status_code == 403
    assert b"expired" in response.content


def test_token_is_bound_to_the_disk(client: Any, stored_text: str) -> None:
    token = sign_path("default", stored_text, 60)  # same path, another disk
    assert client.get(f"/files/t/{token}").status_code == 404


def test_x_accel_redirect_and_x_sendfile(client: Any, stored_text: str) -> None:
    url = disk().temporary_url(stored_text, 60)
    with override_settings(FORGE={"FILES": {"DISK": "local", "SERVE_ACCEL": "x-accel-redirect"}}):
        response = client.get(url)
        assert response["X-Accel-Redirect"] == f"/protected/{stored_text}"
        assert response.content == b""
    with override_settings(FORGE={"FILES": {"DISK": "local", "SERVE_ACCEL": "x-sendfile"}}):
        response = client.get(url)
        assert response["X-Sendfile"] == disk("local").storage.path(stored_text)


def test_temporary_disk_helper(tmp_path: Any) -> None:
    from pathlib import Path

    from forge_suite.files.testing import temporary_disk

    with temporary_disk("scratch") as location:
        path = disk("scratch").put("a/b.txt", b"x")
        assert (Path(location) / path).read_bytes() == b"x"
    assert not Path(location).exists()
    with pytest.raises(UnknownDisk):
        disk("scratch")

    @temporary_disk("default")
    def inner() -> str:
        return str(disk("default").storage.location)  # type: ignore[attr-defined]

    assert "forge-disk-" in inner()
