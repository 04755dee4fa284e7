"""Moved to :mod:`forge_suite.seeding.bulk.writers`; this import path keeps working."""

from __future__ import annotations

from forge_suite.seeding.bulk.writers import (
    copy_insert,
    fast_writer_for,
    insert_objects,
    sqlite_insert,
)

__all__ = ["copy_insert", "fast_writer_for", "insert_objects", "sqlite_insert"]
