"""GCS disks (django-storages) against gcp-storage-emulator on loopback (``gcs_disk``).

The emulator stores and serves objects and honours ``response-content-disposition`` on
signed URLs, but it checks neither the v4 signature nor the expiry: those are asserted on the
URL itself here, and enforced by real GCS only.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from forge_suite.files import disk


def test_gcs_disk_and_v4_signed_url(gcs_disk: str) -> None:
    d = disk("gcs")
    path = d.put("private/notes.txt", b"kept on gcs")
    assert d.exists(path)
    assert d.size(path) == 11
    url = d.temporary_url(path, 120, filename="Notizen ä.txt")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == ["120"]
    assert "X-Goog-Signature" in query
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"kept on gcs"
    assert "Notizen" in response.headers["Content-Disposition"]
    d.delete(path)
    assert not d.exists(path)
