"""Unique values: :class:`UniqueFaker` and the sequence suffix the bulk path uses."""

from __future__ import annotations

from typing import Any

from forge_suite.seeding import adapter

__all__ = ["UniqueFaker", "unique_suffix"]


def unique_suffix(value: Any, n: int, max_length: int | None = None) -> Any:
    """Make ``value`` unique with the sequence number ``n`` while keeping it realistic.

    ``"ann@example.org"`` -> ``"ann.7@example.org"``, ``"ann"`` -> ``"ann.7"``. Two different
    ``n`` never give the same string, whatever the values are; ``max_length`` trims the value,
    never the suffix.
    """
    if not isinstance(value, str):
        return value
    suffix = f".{n}"
    local, at, domain = value.rpartition("@")
    if at and local:
        if max_length is not None:
            local = local[: max(max_length - len(suffix) - len(domain) - 1, 0)]
        return f"{local}{suffix}@{domain}"
    if max_length is not None:
        value = value[: max(max_length - len(suffix), 0)]
    return f"{value}{suffix}"


class UniqueFaker(adapter.FakerDeclaration):
    """``factory.Faker`` whose values get a sequence suffix, so a unique column never collides.

    ``username = UniqueFaker("user_name")`` gives ``"jsmith.0"``, ``"kwilliams.1"``, ...
    ``max_length`` trims long values before the suffix.
    """

    def __init__(self, provider: str, *, max_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(provider, **kwargs)
        self.max_length = max_length

    def evaluate(self, instance: Any, step: Any, extra: dict[str, Any]) -> Any:
        value = super().evaluate(instance, step, extra)
        return unique_suffix(value, int(step.sequence), self.max_length)
