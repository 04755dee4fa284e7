"""``@handles(EventType, ...)``: per-event-type handler methods of aggregates and projectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from forge_suite.eventstore.events import Event

__all__ = ["HandlerTable", "handles"]

F = TypeVar("F", bound=Callable[..., Any])


def handles(*event_types: type[Event] | str) -> Callable[[F], F]:
    """Mark a method as the handler of the given event classes (or stored type names)."""
    if not event_types:
        raise TypeError("@handles() needs at least one event class or type name")
    names = []
    for event_type in event_types:
        if isinstance(event_type, str):
            names.append(event_type)
        elif isinstance(event_type, type) and issubclass(event_type, Event):
            names.append(event_type.event_type)
        else:
            raise TypeError(f"@handles() takes Event subclasses or type names, not {event_type!r}")

    def mark(fn: F) -> F:
        fn._forge_handles = (*getattr(fn, "_forge_handles", ()), *names)  # type: ignore[attr-defined]
        return fn

    return mark


class HandlerTable:
    """Collects ``@handles`` methods of a class and its bases into ``{type name: method name}``."""

    _handlers: dict[str, str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                for name in getattr(value, "_forge_handles", ()):
                    table[name] = attr
        cls._handlers = table

    @classmethod
    def handled_types(cls) -> list[str]:
        """The stored type names this class has handlers for."""
        return sorted(cls._handlers)
