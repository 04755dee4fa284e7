"""Queueing the variant job: through forge_suite.scheduling when installed, else inline."""

from __future__ import annotations

from django.apps import apps

from forge_suite.files.models import StoredFile
from forge_suite.files.variants import generate_variants, missing_variants

__all__ = ["schedule_variants"]


def schedule_variants(stored: StoredFile) -> None:
    """Queue the variant job (eager by default) when variants are missing."""
    if not missing_variants(stored):
        return
    if apps.is_installed("forge_suite.scheduling"):
        from forge_suite.files.tasks import make_variants

        make_variants.dispatch(stored.pk)
    else:
        generate_variants(stored.pk)
