"""The bulk path: factory declarations generated in batches and written in bulk.

``PostFactory.bulk(100_000, author=users)`` compiles the factory's declarations once into
column generators (:mod:`.compilers`, one compiler per declaration type), then for each
batch (:mod:`.plan`): reserves a block of sequence numbers, writes the parents it needs
first, generates the rows, inserts them (:mod:`.writers`: COPY, executemany or
``bulk_create``), adds the many-to-many rows and the ``with_*`` children, and forgets the
objects (memory stays flat; only the primary keys are kept, 8 bytes a row).

Fast generation: every Faker declaration draws from a pool of pre-generated values (made with
the factory's own Faker, seeded from the session), so a row costs a random pick rather than a
provider call. Unique columns get a sequence suffix so they never collide. Declarations the
bulk path does not understand make that factory fall back to factory_boy's ``build()`` per
row: slower, but the same values a plain factory would give. Every use of factory_boy's
internals goes through :mod:`forge_suite.seeding.adapter`.
"""

from __future__ import annotations

from forge_suite.seeding.bulk.api import bulk_create
from forge_suite.seeding.bulk.recipe import Recipe
from forge_suite.seeding.bulk.results import BulkResult, sample
from forge_suite.seeding.bulk.writers import insert_objects

__all__ = ["BulkResult", "Recipe", "bulk_create", "insert_objects", "sample"]
