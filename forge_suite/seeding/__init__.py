"""Model factories, seeders and the db_seed/factory commands.

Public API::

    from forge_suite.seeding import Factory, HasMany, HasOne, UniqueFaker, Seeder, sample

Test helpers (a seeded, row-counting decorator and factory assertions) live in
:mod:`forge_suite.seeding.testing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_suite.core.exports import lazy_dir, lazy_exports

if TYPE_CHECKING:
    # The real, typed names for type checkers; at run time they load on first use (below),
    # so that listing the app in INSTALLED_APPS does not import factory_boy.
    from forge_suite.seeding.bulk import BulkResult, bulk_create, sample
    from forge_suite.seeding.factories import (
        Factory,
        FactoryBuilder,
        HasMany,
        HasOne,
        UniqueFaker,
    )
    from forge_suite.seeding.seeders import Seeder, run_seeders
    from forge_suite.seeding.session import SeedSession, seeded

__all__ = [
    "BulkResult",
    "Factory",
    "FactoryBuilder",
    "HasMany",
    "HasOne",
    "SeedSession",
    "Seeder",
    "UniqueFaker",
    "bulk_create",
    "run_seeders",
    "sample",
    "seeded",
]

_EXPORTS = {
    "Factory": "forge_suite.seeding.factories",
    "FactoryBuilder": "forge_suite.seeding.factories",
    "HasMany": "forge_suite.seeding.factories",
    "HasOne": "forge_suite.seeding.factories",
    "UniqueFaker": "forge_suite.seeding.factories",
    "BulkResult": "forge_suite.seeding.bulk",
    "bulk_create": "forge_suite.seeding.bulk",
    "sample": "forge_suite.seeding.bulk",
    "Seeder": "forge_suite.seeding.seeders",
    "run_seeders": "forge_suite.seeding.seeders",
    "SeedSession": "forge_suite.seeding.session",
    "seeded": "forge_suite.seeding.session",
}

# cache=True: later lookups skip the hook.
__getattr__ = lazy_exports(__name__, _EXPORTS, cache=True)
__dir__ = lazy_dir(__name__, _EXPORTS)
