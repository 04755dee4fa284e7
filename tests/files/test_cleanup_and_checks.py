"""The cleanup job (abandoned uploads, temporary files) and the system checks."""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from forge_suite.files.checks import check_files
from forge_suite.files.cleanup import cleanup
from forge_suite.files.models import StoredFile, TusUpload
from tests.files.test_tus_protocol import Tus

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024


def cleanup_uploads() -> str:
    return str(cleanup())


def _abandon(user: Any, size: int, sent: int) -> str:
    client = Client()
    client.force_login(user)
    tus = Tus(client)
    url = tus.create(size)["Location"]
    assert tus.patch(url, b"\x00" * sent, 0).status_code == 204
    return url


def test_abandoned_local_upload_is_removed(local_disk: str, user: Any, tmp_path: Any) -> None:
    _abandon(user, 1000, 300)
    staged = list((tmp_path / "disk" / "tus").glob("*.bin"))
    assert len(staged) == 1
    assert not StoredFile.objects.exists()
    assert cleanup_uploads() == "0 abandoned uploads and 0 temporary files removed"  # not expired
    TusUpload.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert cleanup_uploads().startswith("1 abandoned uploads")
    assert not staged[0].exists()
    assert not TusUpload.objects.exists()


def test_abandoned_s3_upload_aborts_multipart(
    s3_disk: str, user: Any, s3_client: Any, s3_bucket: str
) -> None:
    _abandon(user, 20 * MiB, 5 * MiB)  # one part in S3
    url = _abandon(user, 20 * MiB, 1000)  # a pending .part object
    assert url
    assert len(s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])) == 1
    assert len(s3_client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])) == 1
    TusUpload.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    call_command("files_cleanup", verbosity=0)
    assert s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert s3_client.list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []
    assert not TusUpload.objects.exists()


def test_stale_temporary_files_are_removed(tmp_path: Any, settings: Any) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    old = tmp_path / "forge-upload-old"
    fresh = tmp_path / "forge-upload-new"
    other = tmp_path / "someone-elses"
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    past = time.time() - 2 * 86400
    os.utime(old, (past, past))
    os.utime(other, (past, past))
    assert "1 temporary files" in cleanup_uploads()
    assert not old.exists()
    assert fresh.exists()
    assert other.exists()


@pytest.mark.needs_apps("forge_suite.scheduling")
def test_cleanup_is_a_scheduled_job(tmp_path: Any, settings: Any) -> None:
    from forge_suite.files.tasks import cleanup_uploads as job
    from forge_suite.scheduling import load_schedule

    names = [event.name for event in load_schedule(["forge_suite.files.schedule"]).events]
    assert names == ["files.cleanup_uploads"]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    stale = tmp_path / "forge-tus-x"
    stale.write_bytes(b"x")
    os.utime(stale, (0, 0))
    assert job.dispatch().get() == "0 abandoned uploads and 1 temporary files removed"
    assert not stale.exists()


def test_check_unknown_disk() -> None:
    with override_settings(FORGE={"FILES": {"DISK": "nope"}}):
        assert [m.id for m in check_files()] == ["forge_files.E001"]


def test_check_small_part_size_and_bad_variant() -> None:
    with override_settings(
        FORGE={"FILES": {"TUS_PART_SIZE": 1024, "VARIANTS": {"x": {"format": "bmp9"}}}}
    ):
        assert sorted(m.id for m in check_files()) == ["forge_files.E002", "forge_files.W001"]


def test_check_clean_by_default() -> None:
    assert check_files() == []
