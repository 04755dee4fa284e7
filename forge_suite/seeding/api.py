"""Small functions other code (the example project's quickstart) calls."""

from __future__ import annotations

from django.db import DatabaseError

__all__ = ["already_seeded"]


def already_seeded(using: str = "default") -> bool:
    """True once ``db_seed`` has completed a seeder on this database (false before migrate)."""
    from forge_suite.seeding.models import SeedRun

    try:
        return SeedRun.objects.using(using).exists()
    except DatabaseError:
        return False
