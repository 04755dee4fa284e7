"""S3 disks (django-storages) against moto's standalone server on loopback."""

from __future__ import annotations

from typing import Any

import requests

from forge_suite.files import disk


def test_s3_disk_basics(s3_disk: str, s3_client: Any, s3_bucket: str) -> None:
    d = disk()
    assert d.alias == "s3"
    assert not d.local
    path = d.put("a/b.txt", b"on s3")
    assert d.exists(path)
    assert d.size(path) == 5
    d.copy(path, "a/c.txt")  # server-side copy
    assert s3_client.get_object(Bucket=s3_bucket, Key="a/c.txt")["Body"].read() == b"on s3"
    d.move("a/c.txt", "z/d.txt")
    assert not d.exists("a/c.txt")
    assert d.get("z/d.txt") == b"on s3"
    d.delete(path)
    assert not d.exists(path)


def test_presigned_get_with_content_disposition(s3_disk: str) -> None:
    d = disk()
    d.put("private/photo.bin", b"secret bytes")
    url = d.temporary_url(
        "private/photo.bin", 60, filename="Ferienfoto süß.jpg", content_type="image/jpeg"
    )
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=60" in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"secret bytes"
    assert (
        "filename*=UTF-8''Ferienfoto%20s%C3%BC%C3%9F.jpg" in response.headers["Content-Disposition"]
    )
    assert response.headers["Content-Type"] == "image/jpeg"


def test_presigned_get_carries_its_expiry(s3_disk: str) -> None:
    # moto serves presigned URLs without checking query-string signatures or their expiry
    # (it only verifies Authorization headers), so only the URL's terms are checked here;
    # real S3 enforces them. The local-disk tests cover tampering and expiry end to end.
    from urllib.parse import parse_qs, urlsplit

    d = disk()
    d.put("private/x.bin", b"x")
    query = parse_qs(urlsplit(d.temporary_url("private/x.bin", 90)).query)
    assert query["X-Amz-Expires"] == ["90"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
