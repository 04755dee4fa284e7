"""The state of one seeding run: its random generator, locale, value pools and row counts.

Everything random on the bulk path draws from the session's ``random.Random``; factory_boy and
Faker are reseeded from the same seed, so a run with the same seed produces the same data.
"""

from __future__ import annotations

import contextlib
import random
import secrets
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from forge_suite.seeding import adapter
from forge_suite.seeding.registry import all_factories

__all__ = ["SeedSession", "count_saved", "current_session", "derive_seed", "seeded"]


@dataclass
class SeedSession:
    """Random state, locale and counters shared by the factories of one run."""

    seed: int
    locale: str
    progress: bool = False
    rng: random.Random = field(init=False)
    #: (provider, kwargs, locale) -> pre-generated values for the bulk path.
    pools: dict[Any, list[Any]] = field(default_factory=dict)
    #: UniqueFaker column -> the values it has handed out (see forge_suite.seeding.unique).
    uniques: dict[Any, Any] = field(default_factory=dict)
    #: "app_label.Model" -> rows written through the suite's factories.
    rows: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def count(self, label: str, rows: int) -> None:
        self.rows[label] += rows


_current: ContextVar[SeedSession | None] = ContextVar("forge_seeding_session", default=None)


def current_session() -> SeedSession:
    """The active session, or a fresh randomly seeded one outside :func:`seeded`."""
    session = _current.get()
    if session is None:
        from forge_suite.seeding.conf import app_settings

        session = SeedSession(seed=secrets.randbits(63), locale=app_settings.LOCALE)
        _current.set(session)
    return session


def count_saved(sender: Any, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    """``post_save`` receiver: count rows saved one by one (``create()``) in the session."""
    from forge_suite.seeding.models import SeedRun

    if created and not raw and sender is not SeedRun:
        current_session().count(sender._meta.label, 1)


def derive_seed(seed: int, name: str) -> int:
    """A per-seeder seed: stable across runs and independent of which other seeders ran."""
    acc = seed & 0xFFFFFFFFFFFF
    for char in name:
        acc = (acc * 1_000_003 + ord(char)) % (2**61 - 1)
    return acc


def reset_sequences() -> None:
    """Forget every suite factory's sequence counter; each restarts from its table's row count."""
    for factory_class in all_factories():
        adapter.reset_sequence(factory_class)


@contextlib.contextmanager
def seeded(
    seed: int | None = None, *, locale: str | None = None, progress: bool = False
) -> Iterator[SeedSession]:
    """Run the block with a fresh session: same ``seed`` -> same generated data.

    Reseeds factory_boy and Faker, resets factory sequences and sets Faker's default locale.
    """
    from forge_suite.seeding.conf import app_settings

    if seed is None:
        seed = secrets.randbits(63)
    session = SeedSession(seed=seed, locale=locale or app_settings.LOCALE, progress=progress)
    adapter.reseed(seed)
    reset_sequences()
    token = _current.set(session)
    try:
        with adapter.override_default_locale(session.locale):
            yield session
    finally:
        _current.reset(token)
