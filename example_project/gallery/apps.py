from __future__ import annotations

from django.apps import AppConfig


class GalleryConfig(AppConfig):
    """Demo of forge_suite.files: a tus upload page (Uppy), a gallery of variants, signed links."""

    name = "example_project.gallery"
    label = "example_gallery"
    verbose_name = "Gallery demo"
