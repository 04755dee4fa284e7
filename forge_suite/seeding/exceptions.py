"""Errors raised by forge_suite.seeding."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class SeedingError(ForgeError):
    """Base class of every error raised by forge_suite.seeding."""


class UnknownState(SeedingError, ValueError):
    """A factory state (factory_boy Trait) that the factory does not define."""


class UnknownRelation(SeedingError, ValueError):
    """A ``with_*``/``for_*`` relationship that the factory does not define."""


class UnknownSeeder(SeedingError, LookupError):
    """A seeder name that is not registered."""


class SeederDependencyError(SeedingError, ValueError):
    """Seeder dependencies that cannot be ordered (a cycle or an unknown dependency)."""


class SeederFailed(SeedingError):
    """A seeder raised; nothing it wrote was kept."""

    def __init__(self, seeder: str, cause: BaseException) -> None:
        super().__init__(
            f"Seeder {seeder} failed: {type(cause).__name__}: {str(cause).rstrip('.')}. "
            f"Its transaction was rolled back; nothing from {seeder} was saved."
        )
        self.seeder = seeder
        self.cause = cause


class InvalidScale(SeedingError, ValueError):
    """A ``scale`` (``db_seed --scale``) that is not a finite number in (0, MAX_SCALE]."""


class ProductionGuard(SeedingError, PermissionError):
    """Seeding was requested in production without ``force``."""


class UniqueValuesExhausted(SeedingError, ValueError):
    """A UniqueFaker found no new valid value: its provider's space is used up."""


class BulkError(SeedingError, ValueError):
    """The bulk path was given something it cannot generate."""
