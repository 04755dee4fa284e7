"""The suite factories defined so far (the ``factory`` command and ``seeded()`` look here)."""

from __future__ import annotations

from typing import Any

__all__ = ["all_factories", "factories_for", "register", "unregister"]

_FACTORIES: list[Any] = []


def register(factory_class: Any) -> None:
    """Record a concrete suite factory (called by the factory metaclass)."""
    _FACTORIES.append(factory_class)


def unregister(factory_class: Any) -> None:
    """Forget a factory (tests that define throwaway factories)."""
    if factory_class in _FACTORIES:
        _FACTORIES.remove(factory_class)


def all_factories() -> list[Any]:
    """Every concrete suite factory defined so far."""
    return list(_FACTORIES)


def factories_for(model: Any) -> list[Any]:
    """The suite factories whose ``Meta.model`` is ``model`` (first defined first)."""
    from forge_suite.seeding.adapter import model_of

    return [f for f in _FACTORIES if model_of(f) is model]
