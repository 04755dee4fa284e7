"""Thumbnail generation (images/s): forge_suite.files variants (Pillow) against easy-thumbnails
and against pyvips, on the same JPEGs in one run. Each contender reads a 3000x2000 JPEG from the
local disk and writes a 200x200 centre-cropped JPEG (quality 80); forge and easy-thumbnails also
record the result in the database, as they do in a project.

    python benchmarks/files_variants.py [--images 12] [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORK = Path(tempfile.mkdtemp(prefix="forge-bench-variants-"))
SPEC = {"fit": [200, 200], "format": "jpeg", "quality": 80}


def configure() -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "forge_suite.core",
            "forge_suite.files",
            "easy_thumbnails",
        ],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(WORK / "db.sqlite3")}
        },
        MEDIA_ROOT=str(WORK / "media"),
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}},
        THUMBNAIL_DEFAULT_OPTIONS={"quality": 80},
        FORGE={"FILES": {"VARIANTS": {"thumb": SPEC}}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_images(count: int) -> list[bytes]:
    from PIL import Image, ImageFilter

    images = []
    for i in range(count):
        noise = Image.effect_noise((3000, 2000), 40 + i).convert("RGB")
        img = Image.merge(
            "RGB",
            [
                noise.getchannel(0),
                noise.getchannel(0).rotate(90, expand=False),
                Image.linear_gradient("L").resize((3000, 2000)),
            ],
        )
        buffer = io.BytesIO()
        img.filter(ImageFilter.SMOOTH).save(buffer, "JPEG", quality=90)
        images.append(buffer.getvalue())
    return images


def contenders(names: list[str]) -> dict[str, Callable[[], None]]:
    import pyvips
    from django.core.files.storage import default_storage
    from easy_thumbnails.files import get_thumbnailer

    from forge_suite.files import store
    from forge_suite.files.images import Image
    from forge_suite.files.models import StoredFile
    from forge_suite.files.variants import generate_variants

    stored = []
    for i, name in enumerate(names):
        with default_storage.open(name) as fh:
            stored.append(store(fh, f"img{i}.jpg", visibility="public").pk)
    StoredFile.objects.update(variants={})  # make them again in the timed loop

    def forge() -> None:
        for pk in stored:
            generate_variants(pk, force=True)

    def easy_crop() -> None:
        for name in names:
            thumbnailer = get_thumbnailer(default_storage.open(name), relative_name=name)
            thumbnailer.generate_thumbnail({"size": (200, 200), "crop": True, "quality": 80})

    def pillow() -> None:
        for name in names:
            out = io.BytesIO()
            Image(default_storage.path(name)).fit(200, 200).format("jpeg").quality(80).save(out)

    def vips() -> None:
        for i, name in enumerate(names):
            thumb = pyvips.Image.thumbnail(
                default_storage.path(name), 200, height=200, crop="centre"
            )
            thumb.write_to_file(str(WORK / f"vips{i}.jpg[Q=80]"))

    return {
        "forge variants (Pillow, stored + DB)": forge,
        "easy-thumbnails generate_thumbnail": easy_crop,
        "forge Image pipeline (Pillow only)": pillow,
        "pyvips thumbnail": vips,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    configure()
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    names = [
        default_storage.save(f"src/img{i}.jpg", ContentFile(data))
        for i, data in enumerate(make_images(args.images))
    ]
    runs = contenders(names)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    for round_no in range(args.rounds):
        for name in order if round_no % 2 == 0 else reversed(order):
            started = time.perf_counter()
            runs[name]()
            rates[name].append(len(names) / (time.perf_counter() - started))
    base = rates["easy-thumbnails generate_thumbnail"]
    load = subprocess.getoutput("uptime").strip()
    print(f"{args.images} JPEGs 3000x2000 -> 200x200, {args.rounds} rounds, load: {load}")
    print(
        "| contender | median images/s | per-round median vs easy-thumbnails | ratio of medians |"
    )
    print("| --- | ---: | ---: | ---: |")
    for name, values in rates.items():
        per_round = statistics.median(v / b for v, b in zip(values, base, strict=True))
        print(
            f"| {name} | {statistics.median(values):.1f} | {per_round:.2f}x | "
            f"{statistics.median(values) / statistics.median(base):.2f}x |"
        )


if __name__ == "__main__":
    main()
