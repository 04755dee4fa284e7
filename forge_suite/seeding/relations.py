"""Has-many / has-one declarations and relationship counts (``5`` or a ``(low, high)`` range)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from forge_suite.seeding import adapter

__all__ = ["HasMany", "HasOne", "Relation", "Relationship", "is_range", "resolve_count"]


def is_range(value: Any) -> bool:
    """True for an inclusive count range such as ``(0, 3)``."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


def resolve_count(count: Any, rng: Any) -> int:
    """``5`` -> 5; ``(0, 3)`` -> a random int in [0, 3]."""
    if is_range(count):
        low, high = count
        if low < 0 or high < low:
            raise ValueError(f"a count range must be (low, high) with 0 <= low <= high: {count}")
        return int(rng.randint(low, high))
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"a relationship count must be an int >= 0 or a range, not {count!r}")
    return count


class Relationship(adapter.PostGenerationDeclaration):
    """Shared part of HasMany/HasOne: a related factory and the FK on it pointing back."""

    kind: ClassVar[str] = ""

    def __init__(self, related_factory: Any, fk: str, default: Any = 0, **defaults: Any) -> None:
        super().__init__()
        self.factory_wrapper = adapter.wrap_factory(related_factory)
        self.fk = fk
        self.default = default
        self.defaults = defaults

    def get_factory(self) -> Any:
        """The related factory class (resolved lazily: it may be a dotted path)."""
        return self.factory_wrapper.get()

    def _make(self, instance: Any, step: Any, extra: dict[str, Any]) -> Any:
        from forge_suite.seeding.recycling import active, recycled_kwargs

        kwargs = {**self.defaults, **extra, self.fk: instance}
        recycled = active()
        if recycled is not None:
            kwargs = {**recycled_kwargs(self.get_factory(), recycled, kwargs), **kwargs}
        return step.recurse(self.get_factory(), kwargs)


class HasMany(Relationship):
    """A has-many relationship: ``posts = HasMany(PostFactory, fk="author")``.

    Off by default; ``UserFactory(posts=5)`` or ``UserFactory.with_posts(5).create()`` makes
    five posts pointing at the new user. Extra keys pass through: ``posts__title="Hi"``.
    """

    kind = "has_many"

    def call(self, instance: Any, step: Any, context: Any) -> Any:
        count = context.value if context.value_provided else self.default
        if isinstance(count, (list, tuple)) and not is_range(count):
            return list(count)  # the caller passed ready-made objects
        count = resolve_count(count, adapter.randgen())
        return [self._make(instance, step, dict(context.extra)) for _ in range(count)]


class HasOne(Relationship):
    """A has-one relationship: ``profile = HasOne(ProfileFactory, fk="user")``.

    Off by default; ``UserFactory(profile=True)`` or ``UserFactory.with_profile().create()``.
    """

    kind = "has_one"

    def __init__(
        self, related_factory: Any, fk: str, default: bool = False, **defaults: Any
    ) -> None:
        super().__init__(related_factory, fk, default, **defaults)

    def call(self, instance: Any, step: Any, context: Any) -> Any:
        wanted = context.value if context.value_provided else self.default
        if wanted is None or wanted is False or wanted == 0:
            return None
        if not isinstance(wanted, (bool, int)):
            return wanted  # a ready-made object
        return self._make(instance, step, dict(context.extra))


@dataclass(frozen=True)
class Relation:
    """One relationship a factory knows, as listed by ``Factory.relationships()``."""

    name: str
    kind: str  # "has_many", "has_one" or "belongs_to"
    factory: Any
    fk: str
