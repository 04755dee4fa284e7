"""Seeders: classes that fill the database for an environment, in dependency order.

::

    class PostSeeder(Seeder):
        environments = ("development", "testing")
        depends_on = (UserSeeder, "TagSeeder")

        def run(self) -> None:
            PostFactory.bulk(self.count(500), author=User.objects.all())

Every concrete subclass registers itself by class name. ``db_seed`` runs the seeders found in
each installed app's ``seeders.py`` (or the dotted paths in ``FORGE["SEEDING"]["SEEDERS"]``),
each in its own transaction, recording a :class:`~forge_suite.seeding.models.SeedRun`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, TextIO

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules, import_string

from forge_suite.core.conf import current_environment
from forge_suite.seeding.exceptions import (
    InvalidScale,
    ProductionGuard,
    SeederDependencyError,
    SeederFailed,
    UnknownSeeder,
)
from forge_suite.seeding.session import count_saved, derive_seed, seeded

__all__ = [
    "ALL_ENVIRONMENTS",
    "MAX_SCALE",
    "SeedReport",
    "Seeder",
    "SeederRegistry",
    "check_scale",
    "registry",
    "run_seeders",
]

#: The largest ``--scale``: beyond it a demo seed would run for hours or days.
MAX_SCALE = 10_000


def check_scale(scale: float) -> float:
    """``scale`` if it is a finite number in (0, MAX_SCALE]; else :class:`InvalidScale`."""
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not math.isfinite(scale)
        or not 0 < scale <= MAX_SCALE
    ):
        raise InvalidScale(
            f"scale must be a finite number above 0 and at most {MAX_SCALE:,}, got {scale!r}"
        )
    return float(scale)


#: Put this in ``Seeder.environments`` to run in every environment (production still needs
#: ``force``).
ALL_ENVIRONMENTS = "*"


class SeederRegistry:
    """Every concrete :class:`Seeder` subclass, by class name and by dotted path."""

    def __init__(self) -> None:
        self._by_path: dict[str, type[Seeder]] = {}

    def register(self, seeder: type[Seeder]) -> type[Seeder]:
        self._by_path[seeder.path()] = seeder
        return seeder

    def unregister(self, seeder: type[Seeder]) -> None:
        self._by_path.pop(seeder.path(), None)

    def all(self) -> list[type[Seeder]]:
        return list(self._by_path.values())

    def get(self, name: str) -> type[Seeder]:
        """A seeder by class name (``UserSeeder``) or dotted path."""
        autodiscover_modules("seeders")
        if name in self._by_path:
            return self._by_path[name]
        matches = [s for s in self._by_path.values() if s.name() == name]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UnknownSeeder(
                f"Seeder name {name!r} is ambiguous; use the dotted path: "
                + ", ".join(sorted(s.path() for s in matches))
            )
        if "." in name:
            try:
                seeder = import_string(name)
            except ImportError:
                seeder = None
            if isinstance(seeder, type) and issubclass(seeder, Seeder):
                return seeder
        raise UnknownSeeder(
            f"Unknown seeder {name!r}. Available seeders: "
            + (", ".join(sorted(s.name() for s in discover())) or "none")
            + "."
        )


registry = SeederRegistry()


class Seeder:
    """Base class of seeders. Override :meth:`run`; set ``environments`` and ``depends_on``."""

    #: Environments this seeder runs in (``FORGE["ENVIRONMENT"]``); ``"*"`` means all.
    environments: ClassVar[Sequence[str]] = ("development", "testing")
    #: Seeders (classes, names or dotted paths) that must run first.
    depends_on: ClassVar[Sequence[type[Seeder] | str]] = ()
    #: Tie-breaker between seeders that do not depend on each other (lower first).
    order: ClassVar[int] = 0
    #: Abstract seeders are not registered.
    abstract: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "abstract" not in cls.__dict__:
            cls.abstract = False
        if not cls.abstract:
            registry.register(cls)

    def __init__(
        self,
        *,
        environment: str,
        seed: int,
        scale: float = 1.0,
        stdout: TextIO | None = None,
        verbosity: int = 1,
    ) -> None:
        self.environment = environment
        self.seed = seed
        self.scale = scale
        self.stdout = stdout
        self.verbosity = verbosity

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    @classmethod
    def path(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    @classmethod
    def runs_in(cls, environment: str) -> bool:
        return ALL_ENVIRONMENTS in cls.environments or environment in cls.environments

    def count(self, base: int) -> int:
        """``base`` scaled by ``db_seed --scale`` (at least 1 when base > 0)."""
        if base <= 0:
            return 0
        return max(1, round(base * self.scale))

    def log(self, message: str, level: int = 2) -> None:
        """Write ``message`` when the command's verbosity is at least ``level``."""
        if self.stdout is not None and self.verbosity >= level:
            self.stdout.write(f"  {message}\n")

    def run(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement run()")


def discover() -> list[type[Seeder]]:
    """The seeders db_seed runs by default: ``FORGE["SEEDING"]["SEEDERS"]`` or autodiscovery."""
    from forge_suite.seeding.conf import app_settings

    configured = app_settings.raw("SEEDERS")
    if configured is not None:
        found = []
        for path in configured:
            try:
                seeder = import_string(path) if isinstance(path, str) else path
            except ImportError as exc:
                raise UnknownSeeder(
                    f'FORGE["SEEDING"]["SEEDERS"]: cannot import {path!r} ({exc})'
                ) from exc
            if not (isinstance(seeder, type) and issubclass(seeder, Seeder)):
                raise UnknownSeeder(f'FORGE["SEEDING"]["SEEDERS"]: {path!r} is not a Seeder')
            found.append(seeder)
        return found
    autodiscover_modules("seeders")
    autodiscover_modules("factories")
    from django.apps import apps

    app_modules = tuple(f"{config.name}.seeders" for config in apps.get_app_configs())
    return [s for s in registry.all() if s.__module__ in app_modules]


def resolve(seeder: type[Seeder] | str) -> type[Seeder]:
    return seeder if isinstance(seeder, type) else registry.get(seeder)


def ordered(seeders: Iterable[type[Seeder]]) -> list[type[Seeder]]:
    """The seeders plus their dependencies, dependencies first (ties by ``order``, name)."""
    result: list[type[Seeder]] = []
    state: dict[type[Seeder], str] = {}

    def visit(seeder: type[Seeder], trail: list[str]) -> None:
        mark = state.get(seeder)
        if mark == "done":
            return
        if mark == "visiting":
            cycle = [*trail[trail.index(seeder.name()) :], seeder.name()]
            raise SeederDependencyError("Seeder dependency cycle: " + " -> ".join(cycle))
        state[seeder] = "visiting"
        deps = []
        for dep in seeder.depends_on:
            try:
                deps.append(resolve(dep))
            except UnknownSeeder as exc:
                raise SeederDependencyError(f"{seeder.name()} depends on {exc}") from exc
        for dep in sorted(deps, key=lambda s: (s.order, s.name())):
            visit(dep, [*trail, seeder.name()])
        state[seeder] = "done"
        result.append(seeder)

    for seeder in sorted(seeders, key=lambda s: (s.order, s.name())):
        visit(seeder, [])
    return result


@dataclass
class SeederReport:
    name: str
    rows: dict[str, int]
    seconds: float


@dataclass
class SeedReport:
    """What a db_seed run did: per seeder, rows per model and time."""

    environment: str
    seed: int
    dry_run: bool
    seeders: list[SeederReport] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for report in self.seeders:
            for label, count in report.rows.items():
                total[label] = total.get(label, 0) + count
        return dict(sorted(total.items()))

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.seeders)


class _DryRunRollback(Exception):
    pass


def run_seeders(
    seeders: Iterable[type[Seeder] | str] | None = None,
    *,
    seed: int | None = None,
    environment: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    scale: float = 1.0,
    locale: str | None = None,
    using: str = DEFAULT_DB_ALIAS,
    stdout: TextIO | None = None,
    verbosity: int = 1,
    progress: bool = False,
    on_start: Callable[[type[Seeder]], None] | None = None,
) -> SeedReport:
    """Run seeders (default: every discovered one for the environment) in dependency order.

    Each seeder runs in its own transaction and gets a seed derived from ``seed`` and its
    name, so ``--class`` runs reproduce the same rows as full runs. A failure rolls back that
    seeder and raises :class:`SeederFailed` naming it. ``dry_run`` rolls everything back.
    """
    import secrets

    from forge_suite.seeding.models import SeedRun

    check_scale(scale)
    environment = environment or current_environment()
    if environment == "production" and not force:
        raise ProductionGuard(
            "Refusing to seed the production environment without --force (force=True)."
        )
    if seeders is None:
        selected = [s for s in discover() if s.runs_in(environment)]
    else:
        autodiscover_modules("seeders")
        selected = [resolve(s) for s in seeders]
    plan = ordered(selected)
    if seed is None:
        seed = secrets.randbits(48)
    report = SeedReport(environment=environment, seed=seed, dry_run=dry_run)

    def run_all() -> None:
        for seeder_class in plan:
            if on_start is not None:
                on_start(seeder_class)
            name = seeder_class.name()
            started = timezone.now()
            clock = time.perf_counter()
            try:
                with (
                    transaction.atomic(using=using),
                    seeded(derive_seed(seed, name), locale=locale, progress=progress) as session,
                ):
                    seeder = seeder_class(
                        environment=environment,
                        seed=seed,
                        scale=scale,
                        stdout=stdout,
                        verbosity=verbosity,
                    )
                    seeder.run()
                    seconds = time.perf_counter() - clock
                    rows = dict(session.rows)
                    SeedRun.objects.using(using).create(
                        seeder=seeder_class.path()[:200],
                        environment=environment,
                        seed=seed,
                        rows=sum(rows.values()),
                        started_at=started,
                        duration=timedelta(seconds=seconds),
                    )
            except Exception as exc:
                raise SeederFailed(name, exc) from exc
            report.seeders.append(SeederReport(name, rows, seconds))

    post_save.connect(count_saved, dispatch_uid="forge_seeding.count_saved", weak=False)
    try:
        _run(run_all, dry_run, using)
    finally:
        post_save.disconnect(dispatch_uid="forge_seeding.count_saved")
    return report


def _run(run_all: Callable[[], None], dry_run: bool, using: str) -> None:
    if dry_run:
        try:
            with transaction.atomic(using=using):
                run_all()
                raise _DryRunRollback
        except _DryRunRollback:
            pass
    else:
        run_all()
