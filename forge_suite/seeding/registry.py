"""The suite factories defined so far (the ``factory`` command and ``seeded()`` look here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forge_suite.seeding.factories import Factory

__all__ = ["all_factories", "factories_for", "register", "unregister"]

_FACTORIES: list[type[Factory]] = []


def register(factory_class: type[Factory]) -> None:
    """Record a concrete suite factory (called by the factory metaclass)."""
    _FACTORIES.append(factory_class)


def unregister(factory_class: type[Factory]) -> None:
    """Forget a factory (tests that define throwaway factories)."""
    if factory_class in _FACTORIES:
        _FACTORIES.remove(factory_class)


def all_factories() -> list[type[Factory]]:
    """Every concrete suite factory defined so far."""
    return list(_FACTORIES)


def factories_for(model: type[Any]) -> list[type[Factory]]:
    """The suite factories whose ``Meta.model`` is ``model`` (first defined first)."""
    from forge_suite.seeding.adapter import model_of

    return [f for f in _FACTORIES if model_of(f) is model]
