"""Settings of files: ``FORGE["FILES"]``."""

from __future__ import annotations

from forge_suite.core.conf import AppSettings, Option
from forge_suite.core.validators import one_of, positive

__all__ = ["DEFAULTS", "app_settings"]

MiB = 1024 * 1024


DEFAULTS: dict[str, Option] = {
    "DISK": Option("default", str, "STORAGES alias that uploads are stored on."),
    "MAX_UPLOAD_SIZE": Option(
        100 * MiB,
        int,
        "Largest accepted upload in bytes (forms, DRF, endpoints).",
        validator=positive,
    ),
    "ALLOWED_TYPES": Option(
        ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"],
        (list, tuple),
        "Content types (as sniffed from the bytes) accepted by default.",
    ),
    "MAX_IMAGE_PIXELS": Option(
        50_000_000,
        int,
        "Largest image (width x height) opened; larger ones are refused unread, which "
        "protects against decompression bombs.",
        validator=positive,
    ),
    "MAX_IMAGE_SIDE": Option(
        20_000, int, "Largest accepted image width or height in pixels.", validator=positive
    ),
    "SVG_SANITIZER": Option(
        None,
        str,
        "Dotted path of a callable(bytes) -> bytes that sanitises SVG; without one SVG is refused.",
        import_string=True,
        nullable=True,
    ),
    "SCANNERS": Option(
        [],
        (list, tuple),
        "Dotted paths of callables(file, content_type) that raise InvalidUpload (virus scan).",
        import_string=True,
    ),
    "TEMPORARY_URL_EXPIRY": Option(
        3600, int, "Default lifetime in seconds of temporary (signed) URLs.", validator=positive
    ),
    "SERVE_ACCEL": Option(
        "",
        str,
        "Let the web server send local files: 'x-accel-redirect' or 'x-sendfile'.",
        validator=one_of("", "x-accel-redirect", "x-sendfile"),
    ),
    "ACCEL_PREFIX": Option("/protected/", str, "Internal nginx location of the disk's root."),
    "ACCESS_POLICY": Option(
        "forge_suite.files.access.default_policy",
        str,
        "Dotted path of callable(user, stored_file) -> bool deciding private downloads.",
        import_string=True,
    ),
    "TUS_MAX_SIZE": Option(5 * 1024 * MiB, int, "Tus-Max-Size in bytes.", validator=positive),
    "TUS_EXPIRY": Option(
        86400,
        int,
        "Seconds an unfinished tus upload is kept after its last PATCH.",
        validator=positive,
    ),
    "TUS_PART_SIZE": Option(
        5 * MiB,
        int,
        "Bytes gathered before an S3 multipart part is sent (S3 minimum: 5 MiB).",
        validator=positive,
    ),
    "TUS_ALLOW_ANONYMOUS": Option(False, bool, "Accept tus uploads without a logged-in user."),
    "USER_QUOTA": Option(
        None,
        int,
        "Bytes each user may store (StoredFile plus open uploads); None: no quota.",
        nullable=True,
    ),
    "VARIANTS": Option(
        {},
        dict,
        'Named image variants: {"thumb": {"resize": [200, 200], "crop": "center", '
        '"format": "webp", "quality": 80}}.',
    ),
    "STRIP_METADATA": Option(True, bool, "Drop EXIF (GPS, camera) from generated images."),
    "TEMP_MAX_AGE": Option(
        86400,
        int,
        "Age in seconds after which the cleanup job removes stray temp files.",
        validator=positive,
    ),
}

app_settings = AppSettings("FILES", DEFAULTS)
