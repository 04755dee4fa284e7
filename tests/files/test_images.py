"""The image pipeline and named variants."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from PIL import Image as PILImage

from forge_suite.files import Image, store
from forge_suite.files.exceptions import ImageTooLarge
from forge_suite.files.models import StoredFile
from forge_suite.files.variants import generate_variants
from tests.files.conftest import png_bytes
from tests.files.hostile import png_bomb


def exif_jpeg(orientation: int = 6, gps: bool = True) -> bytes:
    img = PILImage.new("RGB", (60, 40), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 30, 40))  # left half blue
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "ForgeCam"
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", exif=exif, quality=95)
    return buffer.getvalue()


def reopen(data: bytes) -> PILImage.Image:
    return PILImage.open(io.BytesIO(data))


def test_exif_orientation_applied_and_gps_stripped() -> None:
    data, content_type = Image(io.BytesIO(exif_jpeg())).to_bytes()
    out = reopen(data)
    assert content_type == "image/jpeg"
    assert out.size == (40, 60)  # rotated by the Orientation tag
    assert out.getpixel((20, 5))[2] > 200  # the blue half is now on top
    exif = out.getexif()
    assert 0x8825 not in exif
    assert 0x0112 not in exif
    assert len(exif) == 0


def test_keeping_metadata_is_explicit() -> None:
    data, _ = Image(io.BytesIO(exif_jpeg())).strip(False).to_bytes()
    exif = reopen(data).getexif()
    assert exif[0x010F] == "ForgeCam"
    assert 0x0112 not in exif  # already applied, so not applied twice


def test_fluent_pipeline() -> None:
    source = io.BytesIO(png_bytes(800, 600))
    data, content_type = (
        Image(source)
        .resize(400, 400)
        .crop(200, 200, "center")
        .format("webp")
        .quality(70)
        .to_bytes()
    )
    out = reopen(data)
    assert (content_type, out.format, out.size) == ("image/webp", "WEBP", (200, 200))
    assert Image(io.BytesIO(png_bytes(800, 600))).fit(100, 100).render().size == (100, 100)
    assert Image(io.BytesIO(png_bytes(80, 60))).resize(800, 600).render().size == (80, 60)


def test_jpeg_is_decoded_at_a_reduced_scale_for_thumbnails() -> None:
    from tests.files.conftest import jpeg_bytes

    big = jpeg_bytes(3000, 2000)
    pipeline = Image(io.BytesIO(big)).fit(200, 200)
    decoded = pipeline._load()
    assert decoded.size == (375, 250)  # 1/8 scale, still covering the 300x200 needed
    assert Image(io.BytesIO(big)).fit(200, 200).render().size == (200, 200)
    assert Image(io.BytesIO(big)).resize(400, 400).render().size == (400, 267)
    rotated = Image(io.BytesIO(exif_jpeg_sized(1600, 800, orientation=6))).resize(100, 200).render()
    assert rotated.size == (100, 200)


def exif_jpeg_sized(width: int, height: int, orientation: int) -> bytes:
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (9, 9, 9)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_watermark_changes_the_corner_only() -> None:
    base = png_bytes(200, 200, (0, 0, 0))
    mark = PILImage.new("RGBA", (50, 50), (255, 255, 255, 255))
    out = (
        Image(io.BytesIO(base))
        .watermark(mark, position="bottom-right", opacity=1.0, margin=0)
        .render()
    )
    assert out.getpixel((195, 195))[:3] == (255, 255, 255)
    assert out.getpixel((5, 5))[:3] == (0, 0, 0)


def test_bad_arguments() -> None:
    image = Image(io.BytesIO(png_bytes()))
    with pytest.raises(ValueError, match="anchor"):
        image.crop(10, 10, "middle")
    with pytest.raises(ValueError, match="format"):
        image.format("bmp2")
    with pytest.raises(ValueError, match="quality"):
        image.quality(0)


def test_opening_a_bomb_is_refused() -> None:
    with pytest.raises(ImageTooLarge):
        Image(io.BytesIO(png_bomb())).render()


VARIANTS = {
    "thumb": {"fit": [50, 50], "format": "webp", "quality": 80},
    "small": {"resize": [100, 100]},
}


@pytest.mark.django_db
def test_variants_generated_after_upload_and_idempotent(
    local_disk: str, django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(FORGE={"FILES": {"DISK": "local", "VARIANTS": VARIANTS}}):
        with django_capture_on_commit_callbacks(execute=True):
            stored = store(io.BytesIO(png_bytes(300, 200)), "p.png", visibility="public")
        stored.refresh_from_db()
        assert set(stored.variants) == {"thumb", "small"}
        thumb = stored.variants["thumb"]
        assert (thumb["width"], thumb["height"], thumb["content_type"]) == (50, 50, "image/webp")
        assert stored.variants["small"]["width"] == 100
        with stored.open() as fh:
            assert reopen(fh.read()).size == (300, 200)
        assert generate_variants(stored.pk) == []  # already there: nothing redone
        assert stored.variant_url("thumb").endswith("variants/thumb.webp")


@pytest.mark.django_db
def test_files_variants_missing_command(local_disk: str) -> None:
    stored = store(io.BytesIO(png_bytes(300, 200)), "p.png")  # no variants configured
    with pytest.raises(CommandError, match="No variants"):
        call_command("files_variants", "--missing", verbosity=0)
    with override_settings(FORGE={"FILES": {"DISK": "local", "VARIANTS": VARIANTS}}):
        out = io.StringIO()
        call_command("files_variants", "--missing", stdout=out, verbosity=0)
        assert "2 variants generated" in out.getvalue()
        out = io.StringIO()
        call_command("files_variants", "--missing", stdout=out, verbosity=0)
        assert "0 variants generated" in out.getvalue()
        with pytest.raises(CommandError, match="Unknown variant"):
            call_command("files_variants", "--name", "huge", verbosity=0)
    changed = {**VARIANTS, "thumb": {"fit": [60, 60]}}
    with override_settings(FORGE={"FILES": {"DISK": "local", "VARIANTS": changed}}):
        out = io.StringIO()
        call_command("files_variants", "--missing", stdout=out, verbosity=0)
        assert "1 variants generated" in out.getvalue()  # only the changed spec
    assert StoredFile.objects.get(pk=stored.pk).variants["thumb"]["width"] == 60
