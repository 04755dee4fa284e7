"""Where new uploads are stored on a disk."""

from __future__ import annotations

import uuid

from django.utils import timezone

__all__ = ["new_path"]


def new_path(name: str, *, prefix: str = "uploads") -> str:
    """Where a new upload goes: ``uploads/2026/11/<uuid>/<name>`` (never guessable, never
    colliding, and the sanitised name kept for downloads)."""
    now = timezone.now()
    return f"{prefix}/{now:%Y/%m}/{uuid.uuid4().hex}/{name}"
