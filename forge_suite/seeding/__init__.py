"""Model factories, seeders and the db_seed/factory commands.

Public API::

    from forge_suite.seeding import Factory, HasMany, HasOne, UniqueFaker, Seeder, sample
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BulkResult",
    "Factory",
    "FactoryBuilder",
    "HasMany",
    "HasOne",
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
    "seeded": "forge_suite.seeding.session",
}


def __getattr__(name: str) -> Any:
    # Lazy so that importing the app package (INSTALLED_APPS) does not import factory_boy.
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'forge_suite.seeding' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
