"""The suite factories defined so far (the ``factory`` command and ``seeded()`` look here).

Kept below :mod:`forge_suite.seeding.factories` (it names no factory type) so that the session
can reset every factory's sequence without importing the factories; ``factories`` re-exports
typed versions of these functions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["all_factories", "factories_for", "register", "unregister"]

_FACTORIES: list[type[Any]] = []


def register(factory_class: type[Any]) -> None:
    """Record a concrete suite factory (called by the factory metaclass)."""
    _FACTORIES.append(factory_class)


def unregister(factory_class: type[Any]) -> None:
    """Forget a factory (tests that define throwaway factories)."""
    if factory_class in _FACTORIES:
        _FACTORIES.remove(factory_class)


def all_factories() -> list[type[Any]]:
    """Every concrete suite factory defined so far."""
    return list(_FACTORIES)


def factories_for(model: type[Any]) -> list[type[Any]]:
    """The suite factories whose ``Meta.model`` is ``model`` (first defined first)."""
    from forge_suite.seeding.adapter import model_of

    return [f for f in _FACTORIES if model_of(f) is model]
