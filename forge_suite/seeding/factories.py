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
from typing import Any

from forge_suite.seeding import adapter, registry
from forge_suite.seeding.bulk import BulkResult, Recipe, bulk_create
from forge_suite.seeding.exceptions import UnknownRelation, UnknownState
from forge_suite.seeding.passwords import once_per_run
from forge_suite.seeding.recycling import Recycled, recycled_kwargs, recycling, source_model
from forge_suite.seeding.relations import HasMany, HasOne, Relation, Relationship, resolve_count
from forge_suite.seeding.sequences import next_sequence
from forge_suite.seeding.unique import UniqueFaker, unique_suffix

__all__ = [
    "Factory",
    "FactoryBuilder",
    "HasMany",
    "HasOne",
    "Relation",
    "UniqueFaker",
    "all_factories",
    "factories_for",
    "unique_suffix",
]


def all_factories() -> list[type[Factory]]:
    """Every concrete suite factory defined so far."""
    return registry.all_factories()


def factories_for(model: type[Any]) -> list[type[Factory]]:
    """The suite factories whose ``Meta.model`` is ``model`` (first defined first)."""
    return registry.factories_for(model)


class ForgeFactoryMetaClass(adapter.FactoryMetaClass):
    """Registers concrete factories and answers ``with_<relation>`` / ``for_<relation>``."""

    def __new__(mcs, class_name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        # Demo passwords are hashed once per run, not once per row (see seeding.passwords).
        attrs = {name: once_per_run(value) for name, value in attrs.items()}
        new_class: Any = super().__new__(mcs, class_name, bases, attrs)
        for name, declaration in adapter.declarations(new_class).items():
            if isinstance(declaration, UniqueFaker):
                declaration.bind(name)  # so its values are checked against the model field
        if not adapter.is_abstract(new_class) and adapter.declared_model(new_class) is not None:
            registry.register(new_class)
        return new_class

    def __getattr__(cls, name: str) -> Any:
        if name.startswith(("with_", "for_")) and not name.startswith("_"):
            builder = FactoryBuilder(cls)
            return getattr(builder, name)
        raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")


class Factory(adapter.DjangoModelFactory, metaclass=ForgeFactoryMetaClass):
    """Base factory: factory_boy-compatible, plus states, relationships and :meth:`bulk`."""

    class Meta:
        abstract = True
        # Relationship hooks create other rows; they never change this instance.
        skip_postgeneration_save = True

    @classmethod
    def _setup_next_sequence(cls) -> int:
        # Start after the rows and the sequence values already in the table, so values made
        # by an earlier run (or another process) are not produced again.
        return next_sequence(cls)

    # -- introspection -------------------------------------------------------------------
    @classmethod
    def available_states(cls) -> list[str]:
        """Names of the factory's states (its factory_boy Traits)."""
        return sorted(
            name for name, param in adapter.parameters(cls).items() if adapter.is_trait(param)
        )

    @classmethod
    def relationships(cls) -> dict[str, Relation]:
        """Relationships by name: has-many/has-one declarations and belongs-to SubFactories.

        A belongs-to relation is reachable by its field name and by its model name
        (``for_author(user)`` and ``for_user(user)``), unless two fields share a model.
        """
        found: dict[str, Relation] = {}
        by_model: dict[str, list[Relation]] = {}
        for name, decl in adapter.declarations(cls).items():
            if isinstance(decl, Relationship):
                found[name] = Relation(name, decl.kind, decl.get_factory(), decl.fk)
            elif adapter.is_belongs_to(decl):
                related = decl.get_factory()
                relation = Relation(name, "belongs_to", related, name)
                found[name] = relation
                model = adapter.model_of(related)
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
    def recycle(cls, *sources: Any) -> FactoryBuilder:
        """A builder reusing ``sources`` for relations to their model (Laravel's recycle)."""
        return FactoryBuilder(cls).recycle(*sources)

    @classmethod
    def builder(cls) -> FactoryBuilder:
        return FactoryBuilder(cls)

    @classmethod
    def bulk(cls, count: int | tuple[int, int], **kwargs: Any) -> BulkResult:
        """Write ``count`` rows in batches with ``bulk_create`` (see ``bulk.bulk_create``)."""
        return FactoryBuilder(cls).bulk(count, **kwargs)


class FactoryBuilder(Recipe):
    """An immutable recipe: a factory plus states, relationships and overrides.

    ``UserFactory.states("admin").with_posts(3).create()``,
    ``PostFactory.for_user(ann).create_batch(5)``, ``UserFactory.with_profile().bulk(10_000)``.
    """

    factory_class: type[Factory]

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
            resolve_count(count, adapter.randgen())  # validate early
        relations = {**self.relations, rel.name: (count, extra)}
        return self._copy(relations=relations)

    def for_(self, relation: str, parent: Any) -> FactoryBuilder:
        """Point a belongs-to relation at ``parent``: ``for_("author", user)``."""
        rel = self._relation(relation, ("belongs_to",))
        return self._copy(overrides={**self.overrides, rel.name: parent})

    def recycle(self, *sources: Any) -> FactoryBuilder:
        """Reuse existing rows for every relation to their model, anywhere in the graph.

        ``PostFactory.with_comments(3).recycle(users)``: posts and comments draw their
        authors from ``users`` (instances, a queryset or a ``BulkResult``) instead of
        creating new users, on ``create()``, ``build()`` and ``bulk()`` alike.
        """
        recycled = dict(self.recycled)
        for source in sources:
            recycled[source_model(source)] = source
        return self._copy(recycled=recycled)

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
        return self._generate(self.factory_class.build, kwargs)

    def create(self, **kwargs: Any) -> Any:
        return self._generate(self.factory_class.create, kwargs)

    def _generate(self, make: Any, kwargs: dict[str, Any]) -> Any:
        values = self.factory_kwargs(**kwargs)
        if not self.recycled:
            return make(**values)
        recycled = self._recycled()
        values = {**recycled_kwargs(self.factory_class, recycled, values), **values}
        with recycling(recycled):
            return make(**values)

    def _recycled(self) -> Recycled:
        # One per builder: a batch reads a recycled queryset once, not once per object.
        cached: Recycled | None = self.__dict__.get("_recycled_cache")
        if cached is None:
            cached = self.__dict__["_recycled_cache"] = Recycled(self.recycled)
        return cached

    def build_batch(self, size: int, **kwargs: Any) -> list[Any]:
        return [self.build(**kwargs) for _ in range(size)]

    def create_batch(self, size: int, **kwargs: Any) -> list[Any]:
        return [self.create(**kwargs) for _ in range(size)]

    def bulk(self, count: int | tuple[int, int], **kwargs: Any) -> BulkResult:
        """Generate ``count`` rows with ``bulk_create``; see :func:`bulk.bulk_create`."""
        return bulk_create(self, count, **kwargs)
