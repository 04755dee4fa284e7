"""A factory_boy ``DjangoModelFactory`` with named states, relationship helpers and a bulk path.

Factories written for factory_boy keep working: :class:`Factory` *is* a ``DjangoModelFactory``.
It adds

- states: factory_boy ``Trait``\\ s in ``class Params``, combined with
  ``UserFactory.states("admin", "verified")`` (unknown names raise :class:`UnknownState`);
- relationships: :class:`HasMany` and :class:`HasOne` declarations give ``with_<name>(n)``,
  every ``SubFactory`` gives ``for_<field>(obj)`` and ``for_<model>(obj)``;
- :class:`UniqueFaker`: realistic Faker values made unique by a sequence suffix;
- :meth:`Factory.bulk`: the same declarations generated in batches and written with
  ``bulk_create`` (see :mod:`forge_suite.seeding.bulk`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import factory
import factory.base
import factory.declarations
import factory.django
from django.db import models

from forge_suite.seeding.exceptions import UnknownRelation, UnknownState

if TYPE_CHECKING:
    from forge_suite.seeding.bulk import BulkResult

__all__ = [
    "Factory",
    "FactoryBuilder",
    "HasMany",
    "HasOne",
    "Relation",
    "UniqueFaker",
    "all_factories",
    "factories_for",
]

_FACTORIES: list[type[Factory]] = []


def all_factories() -> list[type[Factory]]:
    """Every concrete suite factory defined so far."""
    return list(_FACTORIES)


def factories_for(model: type[models.Model]) -> list[type[Factory]]:
    """The suite factories whose ``Meta.model`` is ``model`` (first defined first)."""
    return [f for f in _FACTORIES if f._meta.model is model]


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


class UniqueFaker(factory.Faker):
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


class _Relationship(factory.declarations.PostGenerationDeclaration):
    """Shared part of HasMany/HasOne: a related factory and the FK on it pointing back."""

    kind: ClassVar[str] = ""

    def __init__(self, related_factory: Any, fk: str, default: Any = 0, **defaults: Any) -> None:
        super().__init__()
        self.factory_wrapper = factory.declarations._FactoryWrapper(related_factory)
        self.fk = fk
        self.default = default
        self.defaults = defaults

    def get_factory(self) -> type[factory.base.Factory]:
        return self.factory_wrapper.get()

    def _make(self, instance: Any, step: Any, extra: dict[str, Any]) -> Any:
        kwargs = {**self.defaults, **extra, self.fk: instance}
        return step.recurse(self.get_factory(), kwargs)


class HasMany(_Relationship):
    """A has-many relationship: ``posts = HasMany(PostFactory, fk="author")``.

    Off by default; ``UserFactory(posts=5)`` or ``UserFactory.with_posts(5).create()`` makes
    five posts pointing at the new user. Extra keys pass through: ``posts__title="Hi"``.
    """

    kind = "has_many"

    def call(self, instance: Any, step: Any, context: Any) -> Any:
        count = context.value if context.value_provided else self.default
        if isinstance(count, (list, tuple)) and not _is_range(count):
            return list(count)  # the caller passed ready-made objects
        count = _resolve_count(count, factory.random.randgen)
        return [self._make(instance, step, dict(context.extra)) for _ in range(count)]


class HasOne(_Relationship):
    """A has-one relationship: ``profile = HasOne(ProfileFactory, fk="user")``.

    Off by default; ``UserFactory(profile=True)`` or ``UserFactory.with_profile().create()``.
    """

    kind = "has_one"

    def __init__(self, related_factory: Any, fk: str, default: bool = False, **defaults: Any):
        super().__init__(related_factory, fk, default, **defaults)

    def call(self, instance: Any, step: Any, context: Any) -> Any:
        wanted = context.value if context.value_provided else self.default
        if wanted is None or wanted is False or wanted == 0:
            return None
        if not isinstance(wanted, (bool, int)):
            return wanted  # a ready-made object
        return self._make(instance, step, dict(context.extra))


def _is_range(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


def _resolve_count(count: Any, rng: Any) -> int:
    """``5`` -> 5; ``(0, 3)`` -> a random int in [0, 3]."""
    if _is_range(count):
        low, high = count
        if low < 0 or high < low:
            raise ValueError(f"a count range must be (low, high) with 0 <= low <= high: {count}")
        return int(rng.randint(low, high))
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"a relationship count must be an int >= 0 or a range, not {count!r}")
    return count


@dataclass(frozen=True)
class Relation:
    """One relationship a factory knows, as listed by :meth:`Factory.relationships`."""

    name: str
    kind: str  # "has_many", "has_one" or "belongs_to"
    factory: type[factory.base.Factory]
    fk: str


class ForgeFactoryMetaClass(factory.base.FactoryMetaClass):
    """Registers concrete factories and answers ``with_<relation>`` / ``for_<relation>``."""

    def __new__(mcs, class_name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        new_class = super().__new__(mcs, class_name, bases, attrs)
        if not new_class._meta.abstract and new_class._meta.model is not None:
            _FACTORIES.append(new_class)
        return new_class

    def __getattr__(cls, name: str) -> Any:
        if name.startswith(("with_", "for_")) and not name.startswith("_"):
            builder = FactoryBuilder(cls)  # type: ignore[arg-type]
            return getattr(builder, name)
        raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")


class Factory(factory.django.DjangoModelFactory, metaclass=ForgeFactoryMetaClass):
    """Base factory: factory_boy-compatible, plus states, relationships and :meth:`bulk`."""

    class Meta:
        abstract = True
        # Relationship hooks create other rows; they never change this instance.
        skip_postgeneration_save = True

    @classmethod
    def _setup_next_sequence(cls) -> int:
        # Start after the rows already in the table, so unique sequence values created by an
        # earlier run (or another process) are not produced again.
        model = cls._meta.get_model_class()
        try:
            return int(model._default_manager.count())
        except Exception:  # no table yet, or no database access (build() in unit tests)
            return 0

    # -- introspection -------------------------------------------------------------------
    @classmethod
    def available_states(cls) -> list[str]:
        """Names of the factory's states (its factory_boy Traits)."""
        return sorted(
            name for name, param in cls._meta.parameters.items() if isinstance(param, factory.Trait)
        )

    @classmethod
    def relationships(cls) -> dict[str, Relation]:
        """Relationships by name: has-many/has-one declarations and belongs-to SubFactories.

        A belongs-to relation is reachable by its field name and by its model name
        (``for_author(user)`` and ``for_user(user)``), unless two fields share a model.
        """
        found: dict[str, Relation] = {}
        by_model: dict[str, list[Relation]] = {}
        for name, decl in cls._meta.base_declarations.items():
            if isinstance(decl, _Relationship):
                found[name] = Relation(name, decl.kind, decl.get_factory(), decl.fk)
            elif isinstance(decl, factory.SubFactory) and not isinstance(
                decl, (factory.Dict, factory.List)
            ):
                related = decl.get_factory()
                relation = Relation(name, "belongs_to", related, name)
                found[name] = relation
                model = related._meta.get_model_class()
                if model is not None:
                    by_model.setdefault(model._meta.model_name, []).append(relation)
        for model_name, relations in by_model.items():
            if len(relations) == 1 and model_name not in found:
                found[model_name] = relations[0]
        return found

    # -- fluent entry points -------------------------------------------------------------
    @classmethod
    def states(cls, *names: str) -> FactoryBuilder:
        """A builder with the named states on: ``UserFactory.states("admin", "verified")``."""
        return FactoryBuilder(cls).states(*names)

    @classmethod
    def builder(cls) -> FactoryBuilder:
        return FactoryBuilder(cls)

    @classmethod
    def bulk(cls, count: int | tuple[int, int], **kwargs: Any) -> BulkResult:
        """Write ``count`` rows in batches with ``bulk_create`` (see ``bulk.bulk_create``)."""
        return FactoryBuilder(cls).bulk(count, **kwargs)


class FactoryBuilder:
    """An immutable recipe: a factory plus states, relationships and overrides.

    ``UserFactory.states("admin").with_posts(3).create()``,
    ``PostFactory.for_user(ann).create_batch(5)``, ``UserFactory.with_profile().bulk(10_000)``.
    """

    def __init__(
        self,
        factory_class: type[Factory],
        state_names: tuple[str, ...] = (),
        overrides: dict[str, Any] | None = None,
        relations: dict[str, tuple[Any, dict[str, Any]]] | None = None,
    ) -> None:
        self.factory_class = factory_class
        self.state_names = state_names
        self.overrides = dict(overrides or {})
        self.relations = dict(relations or {})

    def _copy(
        self,
        state_names: tuple[str, ...] | None = None,
        overrides: dict[str, Any] | None = None,
        relations: dict[str, tuple[Any, dict[str, Any]]] | None = None,
    ) -> FactoryBuilder:
        return FactoryBuilder(
            self.factory_class,
            self.state_names if state_names is None else state_names,
            self.overrides if overrides is None else overrides,
            self.relations if relations is None else relations,
        )

    def __repr__(self) -> str:
        return (
            f"<FactoryBuilder {self.factory_class.__name__} states={list(self.state_names)} "
            f"with={sorted(self.relations)} overrides={sorted(self.overrides)}>"
        )

    # -- recipe --------------------------------------------------------------------------
    def states(self, *names: str) -> FactoryBuilder:
        available = self.factory_class.available_states()
        for name in names:
            if name not in available:
                raise UnknownState(
                    f"{self.factory_class.__name__} has no state {name!r}. "
                    f"Available states: {', '.join(available) or 'none'}."
                )
        merged = self.state_names + tuple(n for n in names if n not in self.state_names)
        return self._copy(state_names=merged)

    def state(self, name: str) -> FactoryBuilder:
        return self.states(name)

    def with_(self, relation: str, count: Any = 1, **extra: Any) -> FactoryBuilder:
        """Add has-many/has-one children: ``with_("posts", 5, title="Hi")``."""
        rel = self._relation(relation, ("has_many", "has_one"))
        if rel.kind == "has_one" and count == 1:
            count = True
        elif rel.kind == "has_many":
            _resolve_count(count, factory.random.randgen)  # validate early
        relations = {**self.relations, rel.name: (count, extra)}
        return self._copy(relations=relations)

    def for_(self, relation: str, parent: Any) -> FactoryBuilder:
        """Point a belongs-to relation at ``parent``: ``for_("author", user)``."""
        rel = self._relation(relation, ("belongs_to",))
        return self._copy(overrides={**self.overrides, rel.name: parent})

    def set(self, **overrides: Any) -> FactoryBuilder:
        """Fixed attribute values (or declarations) for every object."""
        return self._copy(overrides={**self.overrides, **overrides})

    def _relation(self, name: str, kinds: Iterable[str]) -> Relation:
        relations = self.factory_class.relationships()
        rel = relations.get(name)
        if rel is None or rel.kind not in kinds:
            valid = sorted(n for n, r in relations.items() if r.kind in kinds)
            raise UnknownRelation(
                f"{self.factory_class.__name__} has no {'/'.join(kinds)} relationship "
                f"{name!r}. Available: {', '.join(valid) or 'none'}."
            )
        return rel

    def __getattr__(self, name: str) -> Any:
        if name.startswith("with_") and len(name) > 5:
            relation = name[5:]

            def with_relation(count: Any = 1, **extra: Any) -> FactoryBuilder:
                return self.with_(relation, count, **extra)

            return with_relation
        if name.startswith("for_") and len(name) > 4:
            relation = name[4:]

            def for_relation(parent: Any) -> FactoryBuilder:
                return self.for_(relation, parent)

            return for_relation
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- factory_boy kwargs --------------------------------------------------------------
    def factory_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        """The keyword arguments that make plain factory_boy apply this recipe."""
        result: dict[str, Any] = dict.fromkeys(self.state_names, True)
        result.update(self.overrides)
        for name, (count, extra) in self.relations.items():
            result[name] = count
            for key, value in extra.items():
                result[f"{name}__{key}"] = value
        result.update(kwargs)
        return result

    def build(self, **kwargs: Any) -> Any:
        return self.factory_class.build(**self.factory_kwargs(**kwargs))

    def create(self, **kwargs: Any) -> Any:
        return self.factory_class.create(**self.factory_kwargs(**kwargs))

    def build_batch(self, size: int, **kwargs: Any) -> list[Any]:
        return [self.build(**kwargs) for _ in range(size)]

    def create_batch(self, size: int, **kwargs: Any) -> list[Any]:
        return [self.create(**kwargs) for _ in range(size)]

    def bulk(self, count: int | tuple[int, int], **kwargs: Any) -> BulkResult:
        """Generate ``count`` rows with ``bulk_create``; see :func:`bulk.bulk_create`."""
        from forge_suite.seeding.bulk import bulk_create

        return bulk_create(self, count, **kwargs)
