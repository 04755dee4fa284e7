"""Validation of uploads against disguised and hostile files."""

from __future__ import annotations

import io
import resource
from typing import Any

import pytest

from forge_suite.files.exceptions import DisallowedType, FileTooLarge, ImageTooLarge, InvalidUpload
from forge_suite.files.validation import UploadPolicy, receive, sanitize_filename, sniff, validate
from tests.files.conftest import jpeg_bytes, pdf_bytes, png_bytes
from tests.files.hostile import HTML, PHP, SVG_WITH_SCRIPT, png_bomb


def policy(**overrides: Any) -> UploadPolicy:
    return UploadPolicy.default(**overrides)


@pytest.mark.parametrize("content", [HTML, PHP], ids=["html", "php"])
def test_script_disguised_as_jpeg_is_refused(content: bytes) -> None:
    with pytest.raises(DisallowedType) as info:
        validate(io.BytesIO(content), "holiday.jpg", policy())
    assert info.value.reason == "type"


def test_real_jpeg_and_png_pass_with_their_sniffed_type() -> None:
    assert validate(io.BytesIO(jpeg_bytes()), "a.JPG", policy()).content_type == "image/jpeg"
    facts = validate(io.BytesIO(png_bytes(30, 20)), "b.png", policy())
    assert (facts.content_type, facts.width, facts.height) == ("image/png", 30, 20)


def test_extension_must_agree_with_content() -> None:
    with pytest.raises(DisallowedType) as info:
        validate(io.BytesIO(png_bytes()), "invoice.pdf", policy())
    assert info.value.reason == "extension"


def test_missing_extension_is_added_from_the_content() -> None:
    assert validate(io.BytesIO(pdf_bytes()), "report", policy()).name == "report.pdf"


def test_type_not_in_the_allow_list() -> None:
    with pytest.raises(DisallowedType):
        validate(io.BytesIO(pdf_bytes()), "a.pdf", policy(allowed_types=("image/*",)))


def test_png_declaring_50000_squared_is_refused_without_decoding() -> None:
    bomb = png_bomb()
    assert len(bomb) < 1000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImageTooLarge):
        validate(io.BytesIO(bomb), "bomb.png", policy())
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50_000  # decoding would need 7.5 GB


def test_lowered_pixel_limit_is_an_error() -> None:
    with pytest.raises(ImageTooLarge):
        validate(io.BytesIO(png_bytes(300, 300)), "a.png", policy(max_pixels=300 * 299))
    with pytest.raises(ImageTooLarge):
        validate(io.BytesIO(png_bytes(300, 10)), "a.png", policy(max_side=299))


def test_svg_with_script_is_refused_unless_sanitised() -> None:
    svg_policy = policy(allowed_types=("image/svg+xml",))
    assert sniff(SVG_WITH_SCRIPT) == "image/svg+xml"
    with pytest.raises(DisallowedType) as info:
        validate(io.BytesIO(SVG_WITH_SCRIPT), "logo.svg", svg_policy)
    assert info.value.reason == "svg"
    with pytest.raises(DisallowedType):  # not in the default allow-list either
        validate(io.BytesIO(SVG_WITH_SCRIPT), "logo.svg", policy())


def test_damaged_image_is_refused() -> None:
    data = png_bytes()
    with pytest.raises(InvalidUpload) as info:
        validate(io.BytesIO(data[:60]), "cut.png", policy())
    assert info.value.reason == "corrupt"


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("/abs/path/photo.jpg", "photo.jpg"),
        ("....hidden.png", "hidden.png"),
        ("CON.txt", "_CON.txt"),
        ("lpt1", "_lpt1"),
        ("e\u0301te\u0301.png", "\u00e9t\u00e9.png"),
        ('bad<>:"|?*\x00name.png', "bad________name.png"),
        ("", "file"),
        ("..", "file"),
        ("x" * 300 + ".jpeg", "x" * 195 + ".jpeg"),
    ],
)
def test_sanitize_filename(raw: str, safe: str) -> None:
    assert sanitize_filename(raw) == safe


def test_receive_refuses_mid_stream_and_leaves_no_temp_file(tmp_path: Any, settings: Any) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)

    def endless() -> Any:
        while True:
            yield b"x" * 65536

    with pytest.raises(FileTooLarge):
        receive(endless(), 1_000_000)
    assert list(tmp_path.iterdir()) == []
    got = receive(io.BytesIO(b"abc"), 10)
    assert (got.size, got.sha256[:8]) == (3, "ba7816bf")
    got.cleanup()


def test_declared_size_is_refused_before_reading() -> None:
    with pytest.raises(FileTooLarge):
        policy(max_size=10).check_declared_size("11")
    with pytest.raises(InvalidUpload):
        policy().check_declared_size("ten")
    policy(max_size=10).check_declared_size("10")


def test_scan_hook_can_refuse() -> None:
    seen: list[str] = []

    def scanner(fh: Any, content_type: str) -> None:
        seen.append(content_type)
        if b"EICAR" in fh.read():
            raise InvalidUpload("Infected.", reason="virus")

    clean = policy(scanners=(scanner,))
    validate(io.BytesIO(pdf_bytes()), "ok.pdf", clean)
    with pytest.raises(InvalidUpload) as info:
        validate(io.BytesIO(pdf_bytes() + b"EICAR"), "bad.pdf", clean)
    assert info.value.reason == "virus"
    assert seen == ["application/pdf", "application/pdf"]
