"""The files app's metrics, read back from the Prometheus registry after its public paths."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from forge_suite.files import store
from forge_suite.files.exceptions import DisallowedType
from tests.files.conftest import png_bytes
from tests.files.hostile import HTML

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_stored_upload_counts_once_with_its_bytes(local_disk: str, user: Any) -> None:
    data = png_bytes(40, 30)
    uploads = sample("forge_files_stored_total", disk=local_disk, content_type="image/png")
    stored_bytes = sample("forge_files_stored_bytes_total", disk=local_disk)
    store(io.BytesIO(data), "a.png", owner=user, disk_alias=local_disk)
    after = sample("forge_files_stored_total", disk=local_disk, content_type="image/png")
    assert after == uploads + 1
    assert sample("forge_files_stored_bytes_total", disk=local_disk) == stored_bytes + len(data)


def test_a_refused_upload_counts_by_reason(local_disk: str, user: Any) -> None:
    before = sample("forge_files_rejected_total", reason="type")
    with pytest.raises(DisallowedType):
        store(io.BytesIO(HTML), "x.jpg", owner=user)
    assert sample("forge_files_rejected_total", reason="type") == before + 1


def test_each_generated_variant_is_timed(
    local_disk: str, django_capture_on_commit_callbacks: Any
) -> None:
    variants = {"thumb": {"fit": [50, 50], "format": "webp"}}
    before = sample("forge_files_variant_seconds_count", variant="thumb")
    options = {"FILES": {"DISK": "local", "VARIANTS": variants}}
    with override_settings(FORGE=options), django_capture_on_commit_callbacks(execute=True):
        store(io.BytesIO(png_bytes(300, 200)), "p.png", visibility="public")
    assert sample("forge_files_variant_seconds_count", variant="thumb") == before + 1
    assert sample("forge_files_variant_seconds_sum", variant="thumb") > 0
