"""A fluent image pipeline on Pillow: ``Image(f).resize(800, 600).crop(400, 400).format("webp")``.

EXIF orientation is applied on load, and metadata (EXIF with GPS, XMP, comments) is dropped
on save unless ``strip(False)``. Opening refuses images over ``MAX_IMAGE_PIXELS`` before
decoding them, like upload validation does.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Callable
from typing import IO, Any

from PIL import Image as PILImage
from PIL import ImageOps

from forge_suite.files.conf import app_settings
from forge_suite.files.exceptions import ImageTooLarge, InvalidUpload

__all__ = ["Image"]

ANCHORS = {
    "center": (0.5, 0.5),
    "top": (0.5, 0.0),
    "bottom": (0.5, 1.0),
    "left": (0.0, 0.5),
    "right": (1.0, 0.5),
    "top-left": (0.0, 0.0),
    "top-right": (1.0, 0.0),
    "bottom-left": (0.0, 1.0),
    "bottom-right": (1.0, 1.0),
}
FORMATS = {
    "jpeg": "JPEG",
    "jpg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "gif": "GIF",
    "avif": "AVIF",
}
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "AVIF": "image/avif",
}


def open_safely(
    source: str | os.PathLike[str] | IO[bytes], max_pixels: int | None = None
) -> PILImage.Image:
    """Open an image, refusing more than ``max_pixels`` before any pixel is decoded."""
    limit = int(max_pixels or app_settings.MAX_IMAGE_PIXELS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            img = PILImage.open(source)
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise ImageTooLarge(str(exc)) from None
        except (OSError, SyntaxError) as exc:
            raise InvalidUpload(f"The image cannot be read ({exc}).", reason="corrupt") from None
    if img.width * img.height > limit:
        img.close()
        raise ImageTooLarge(f"The image is {img.width}x{img.height}; the limit is {limit} pixels.")
    return img


class Image:
    """A list of operations applied in order when the image is saved."""

    def __init__(self, source: str | os.PathLike[str] | IO[bytes] | PILImage.Image) -> None:
        self._source = source
        self._ops: list[Callable[[PILImage.Image], PILImage.Image]] = []
        self._format: str | None = None
        self._quality = 85
        self._strip = bool(app_settings.STRIP_METADATA)
        self._first_box: tuple[int, int, bool] | None = None  # (w, h, cover) of the first resize

    def _load(self) -> PILImage.Image:
        img = (
            self._source if isinstance(self._source, PILImage.Image) else open_safely(self._source)
        )
        source_format = img.format
        exif = img.getexif()
        if self._first_box and img.format == "JPEG":
            self._draft(img, exif.get(0x0112, 1))
        img = ImageOps.exif_transpose(img)  # rotates per EXIF Orientation, drops the tag
        img.format = source_format
        if not self._strip and exif:
            exif.pop(0x0112, None)  # orientation already applied
            img.info["exif"] = exif.tobytes()
        return img

    def _draft(self, img: PILImage.Image, orientation: int) -> None:
        # JPEG can decode at 1/2, 1/4 or 1/8 scale (DCT scaling): ask for the smallest size
        # that still covers the first resize, so a 24 MP photo is not decoded whole for a
        # thumbnail. This is what makes libvips fast at thumbnails, too.
        if self._first_box is None:
            return
        width, height, cover = self._first_box
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        scales = (width / img.width, height / img.height)
        scale = max(scales) if cover else min(scales)
        if scale < 0.5:
            img.draft(img.mode, (math.ceil(img.width * scale), math.ceil(img.height * scale)))

    def _remember_box(self, width: int, height: int, cover: bool) -> None:
        if not self._ops:
            self._first_box = (width, height, cover)

    def resize(self, width: int, height: int, *, upscale: bool = False) -> Image:
        """Fit within ``width`` x ``height`` keeping the aspect ratio."""
        self._remember_box(width, height, cover=False)

        def op(img: PILImage.Image) -> PILImage.Image:
            if not upscale and img.width <= width and img.height <= height:
                return img
            return ImageOps.contain(img, (width, height), PILImage.Resampling.LANCZOS)

        self._ops.append(op)
        return self

    def crop(self, width: int, height: int, anchor: str = "center") -> Image:
        """Cut ``width`` x ``height`` at ``anchor`` (center, top-left, bottom-right...)."""
        if anchor not in ANCHORS:
            raise ValueError(f"crop anchor {anchor!r}: use one of {', '.join(ANCHORS)}")
        ax, ay = ANCHORS[anchor]

        def op(img: PILImage.Image) -> PILImage.Image:
            w, h = min(width, img.width), min(height, img.height)
            left = round((img.width - w) * ax)
            top = round((img.height - h) * ay)
            return img.crop((left, top, left + w, top + h))

        self._ops.append(op)
        return self

    def fit(self, width: int, height: int, anchor: str = "center") -> Image:
        """Cover ``width`` x ``height`` and crop the overflow (thumbnail ``crop=True``)."""
        if anchor not in ANCHORS:
            raise ValueError(f"fit anchor {anchor!r}: use one of {', '.join(ANCHORS)}")
        self._remember_box(width, height, cover=True)
        self._ops.append(
            lambda img: ImageOps.fit(
                img, (width, height), PILImage.Resampling.LANCZOS, centering=ANCHORS[anchor]
            )
        )
        return self

    def watermark(
        self,
        mark: str | os.PathLike[str] | IO[bytes] | PILImage.Image,
        *,
        position: str = "bottom-right",
        opacity: float = 0.5,
        margin: int = 10,
        scale: float = 0.25,
    ) -> Image:
        """Overlay ``mark`` (an image) at ``position``, ``scale`` of the width, ``opacity``."""
        if position not in ANCHORS:
            raise ValueError(f"watermark position {position!r}: use one of {', '.join(ANCHORS)}")
        ax, ay = ANCHORS[position]

        def op(img: PILImage.Image) -> PILImage.Image:
            overlay = mark if isinstance(mark, PILImage.Image) else open_safely(mark)
            overlay = overlay.convert("RGBA")
            target_w = max(1, int(img.width * scale))
            overlay = ImageOps.contain(overlay, (target_w, img.height))
            alpha = overlay.getchannel("A").point(lambda a: int(a * opacity))
            overlay.putalpha(alpha)
            base = img.convert("RGBA")
            x = round(margin + (base.width - overlay.width - 2 * margin) * ax)
            y = round(margin + (base.height - overlay.height - 2 * margin) * ay)
            base.alpha_composite(overlay, (max(0, x), max(0, y)))
            return (
                base if img.mode == "RGBA" else base.convert(img.mode if img.mode != "P" else "RGB")
            )

        self._ops.append(op)
        return self

    def format(self, name: str) -> Image:
        key = name.lower()
        if key not in FORMATS:
            raise ValueError(f"image format {name!r}: use one of {', '.join(sorted(FORMATS))}")
        self._format = FORMATS[key]
        return self

    def quality(self, value: int) -> Image:
        if not 1 <= value <= 100:
            raise ValueError(f"quality {value}: use 1 to 100")
        self._quality = value
        return self

    def strip(self, value: bool = True) -> Image:
        """Drop metadata (EXIF with GPS, XMP, comments) on save; the default."""
        self._strip = value
        return self

    def render(self) -> PILImage.Image:
        img = self._load()
        source_format = img.format
        for op in self._ops:
            img = op(img)
        img.format = source_format
        return img

    def save(self, target: str | os.PathLike[str] | IO[bytes]) -> tuple[str, int, int]:
        """Write the result; returns ``(content type, width, height)``."""
        img = self.render()
        fmt = self._format or (img.format if img.format in CONTENT_TYPES else "PNG")
        if fmt == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        options: dict[str, Any] = {"quality": self._quality}
        if fmt in ("JPEG", "WEBP"):
            options["optimize" if fmt == "JPEG" else "method"] = True if fmt == "JPEG" else 4
        keep = {} if self._strip else {k: v for k, v in img.info.items() if k == "exif"}
        if "icc_profile" in img.info:
            keep["icc_profile"] = img.info["icc_profile"]
        clean = img.copy()
        clean.info = {}
        clean.save(target, format=fmt, **options, **keep)
        return CONTENT_TYPES[fmt], clean.width, clean.height

    def to_bytes(self) -> tuple[bytes, str]:
        buffer = io.BytesIO()
        content_type, _, _ = self.save(buffer)
        return buffer.getvalue(), content_type

    @classmethod
    def from_spec(cls, source: Any, spec: dict[str, Any]) -> Image:
        """Build a pipeline from a ``VARIANTS`` entry."""
        image = cls(source)
        if "fit" in spec:
            width, height = spec["fit"]
            image.fit(width, height, anchor=spec.get("anchor", "center"))
        if "resize" in spec:
            image.resize(*spec["resize"])
        if "crop" in spec:
            width, height = spec["crop"]
            image.crop(width, height, anchor=spec.get("anchor", "center"))
        if "format" in spec:
            image.format(spec["format"])
        if "quality" in spec:
            image.quality(int(spec["quality"]))
        if "strip" in spec:
            image.strip(bool(spec["strip"]))
        return image
