"""Validating uploads: size, content sniffing, extension agreement, image limits, SVG, names.

The content type always comes from the bytes (``filetype`` signatures), never from the
client's ``Content-Type`` or the file name; the name's extension must then agree with it.
Everything works on a file on disk or a stream: nothing is read whole into memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import IO, Any

from forge_suite.files.conf import app_settings
from forge_suite.files.exceptions import DisallowedType, FileTooLarge, ImageTooLarge, InvalidUpload

__all__ = [
    "Received",
    "UploadPolicy",
    "Validated",
    "receive",
    "sanitize_filename",
    "sniff",
    "validate",
]

CHUNK = 256 * 1024
HEAD = 8192

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in "123456789"
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')

#: Extensions accepted for a sniffed type, beyond what ``mimetypes`` knows.
EXTENSIONS: dict[str, set[str]] = {
    "image/jpeg": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "image/png": {".png"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "image/svg+xml": {".svg"},
    "image/tiff": {".tif", ".tiff"},
    "image/heic": {".heic"},
    "image/avif": {".avif"},
    "application/pdf": {".pdf"},
    "application/zip": {".zip"},
    "video/mp4": {".mp4", ".m4v"},
    "audio/mpeg": {".mp3"},
}


def sanitize_filename(name: str, *, max_length: int = 200) -> str:
    """A safe base name: no directories (``../`` or ``C:\\``), NFC, no control or shell
    characters, no leading dots, no Windows device names, at most ``max_length`` chars."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    stem, ext = os.path.splitext(name)
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    ext = ext[:16]
    stem = stem[: max(1, max_length - len(ext))]
    name = f"{stem}{ext}".rstrip(". ")
    return name or "file"


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None if unrecognised."""
    import filetype

    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (
        text.startswith(b"<?xml") or text.startswith(b"<svg") or text.startswith(b"<!doctype svg")
    ) and b"<svg" in text:
        return "image/svg+xml"
    return None


def allowed_extensions(content_type: str) -> set[str]:
    return EXTENSIONS.get(content_type, set()) | set(mimetypes.guess_all_extensions(content_type))


@dataclass(frozen=True)
class UploadPolicy:
    """What an upload may be. ``UploadPolicy.default()`` reads ``FORGE["FILES"]``."""

    max_size: int
    allowed_types: tuple[str, ...]
    max_pixels: int
    max_side: int
    svg_sanitizer: Callable[[bytes], bytes] | None = None
    scanners: tuple[Callable[[IO[bytes], str], Any], ...] = field(default=())

    @classmethod
    def default(cls, **overrides: Any) -> UploadPolicy:
        policy = cls(
            max_size=int(app_settings.MAX_UPLOAD_SIZE),
            allowed_types=tuple(app_settings.ALLOWED_TYPES),
            max_pixels=int(app_settings.MAX_IMAGE_PIXELS),
            max_side=int(app_settings.MAX_IMAGE_SIDE),
            svg_sanitizer=app_settings.SVG_SANITIZER,
            scanners=tuple(app_settings.SCANNERS),
        )
        return replace(policy, **overrides) if overrides else policy

    def allows(self, content_type: str) -> bool:
        for pattern in self.allowed_types:
            if pattern == content_type or (
                pattern.endswith("/*") and content_type.startswith(pattern[:-1])
            ):
                return True
        return False

    def check_declared_size(self, content_length: int | str | None) -> None:
        """Refuse before reading when the declared ``Content-Length`` is over the limit."""
        try:
            declared = int(content_length) if content_length not in (None, "") else None
        except (TypeError, ValueError):
            raise InvalidUpload("Content-Length is not a number.", reason="bad_length") from None
        if declared is not None and declared > self.max_size:
            raise FileTooLarge(
                f"The upload is {declared} bytes; the limit is {self.max_size} bytes."
            )


@dataclass
class Received:
    """A stream copied to a named temporary file, with its size and SHA-256."""

    path: str
    size: int
    sha256: str

    def cleanup(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def temp_dir() -> str | None:
    from django.conf import settings

    return getattr(settings, "FILE_UPLOAD_TEMP_DIR", None) or None


def receive(stream: Any, max_size: int, *, chunk_size: int = CHUNK) -> Received:
    """Copy ``stream`` (anything with ``read(n)`` or an iterable of bytes) to a temporary
    file, refusing with :class:`FileTooLarge` as soon as it passes ``max_size``."""
    fd, path = tempfile.mkstemp(prefix="forge-upload-", dir=temp_dir())
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for block in _blocks(stream, chunk_size):
                size += len(block)
                if size > max_size:
                    raise FileTooLarge(
                        f"The upload passed the limit of {max_size} bytes while streaming."
                    )
                digest.update(block)
                out.write(block)
    except BaseException:
        os.unlink(path)
        raise
    return Received(path=path, size=size, sha256=digest.hexdigest())


def _blocks(stream: Any, chunk_size: int) -> Iterable[bytes]:
    if hasattr(stream, "read"):
        while block := stream.read(chunk_size):
            yield block
    else:
        yield from stream


@dataclass(frozen=True)
class Validated:
    """The facts validation established: sniffed type, a safe name, image size."""

    content_type: str
    name: str
    width: int | None = None
    height: int | None = None


def validate(
    fh: IO[bytes], name: str, policy: UploadPolicy, *, size: int | None = None
) -> Validated:
    """Check an uploaded file (positioned anywhere; it is rewound) against ``policy``.

    Raises :class:`FileTooLarge`, :class:`DisallowedType`, :class:`ImageTooLarge` or
    :class:`InvalidUpload`; returns the sniffed type and the sanitised name otherwise.
    """
    if size is None:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
    if size > policy.max_size:
        raise FileTooLarge(f"The file is {size} bytes; the limit is {policy.max_size} bytes.")
    fh.seek(0)
    head = fh.read(HEAD)
    fh.seek(0)
    content_type = sniff(head)
    safe = sanitize_filename(name)
    if content_type is None:
        raise DisallowedType(
            f"The content of {safe!r} is not a recognised file type.", reason="type"
        )
    if content_type == "image/svg+xml" and policy.allows(content_type):
        if policy.svg_sanitizer is None:
            raise DisallowedType(
                "SVG can carry scripts and is refused unless FORGE['FILES']['SVG_SANITIZER'] "
                "is set.",
                reason="svg",
            )
    elif not policy.allows(content_type):
        raise DisallowedType(f"{content_type} files are not accepted.", reason="type")
    stem, ext = os.path.splitext(safe)
    allowed = allowed_extensions(content_type)
    if ext and ext.lower() not in allowed:
        raise DisallowedType(
            f"The name {safe!r} says {ext.lower()} but the content is {content_type}.",
            reason="extension",
        )
    if not ext and allowed:
        safe = stem + sorted(allowed, key=len)[0]
    width = height = None
    if content_type.startswith("image/") and content_type != "image/svg+xml":
        width, height = check_image(fh, policy)
        fh.seek(0)
    for scanner in policy.scanners:
        scanner(fh, content_type)
        fh.seek(0)
    return Validated(content_type=content_type, name=safe, width=width, height=height)


def check_image(fh: IO[bytes], policy: UploadPolicy) -> tuple[int, int]:
    """Read only the image header; refuse more pixels than allowed before decoding anything."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fh) as img:
                width, height = img.size
                if width * height > policy.max_pixels or max(width, height) > policy.max_side:
                    raise ImageTooLarge(
                        f"The image is {width}x{height} pixels; the limit is "
                        f"{policy.max_pixels} pixels and {policy.max_side} per side."
                    )
                img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(f"The image is too large to open safely ({exc}).") from None
    except UnidentifiedImageError:
        raise InvalidUpload("The image cannot be read.", reason="corrupt") from None
    except ImageTooLarge:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidUpload(f"The image is damaged ({exc}).", reason="corrupt") from None
    return width, height
