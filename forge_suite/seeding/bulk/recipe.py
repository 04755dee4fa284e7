"""A recipe (factory + states + relationships + overrides) and what it means for the bulk path.

:func:`resolve` splits a recipe into the declarations that make columns, the values of
``class Params``, nested ``parent__field`` values, has-many/has-one children, many-to-many
samples and the values meant for post-generation hooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from django.db import models

from forge_suite.seeding import adapter
from forge_suite.seeding.bulk.results import sample
from forge_suite.seeding.exceptions import BulkError
from forge_suite.seeding.relations import Relationship

__all__ = ["FILLED_BY_CALLER", "Recipe", "Resolved", "as_recipe", "resolve"]

#: Marks a foreign key whose values the caller supplies per batch (the parent of a relation).
FILLED_BY_CALLER: Any = object()


class Recipe:
    """An immutable recipe: a factory plus states, relationships and overrides."""

    def __init__(
        self,
        factory_class: Any,
        state_names: tuple[str, ...] = (),
        overrides: dict[str, Any] | None = None,
        relations: dict[str, tuple[Any, dict[str, Any]]] | None = None,
        recycled: dict[type[models.Model], Any] | None = None,
    ) -> None:
        self.factory_class = factory_class
        self.state_names = state_names
        self.overrides = dict(overrides or {})
        self.relations = dict(relations or {})
        #: Model -> existing rows every belongs-to relation of that model reuses.
        self.recycled = dict(recycled or {})

    def _copy(
        self,
        state_names: tuple[str, ...] | None = None,
        overrides: dict[str, Any] | None = None,
        relations: dict[str, tuple[Any, dict[str, Any]]] | None = None,
        recycled: dict[type[models.Model], Any] | None = None,
    ) -> Self:
        return type(self)(
            self.factory_class,
            self.state_names if state_names is None else state_names,
            self.overrides if overrides is None else overrides,
            self.relations if relations is None else relations,
            self.recycled if recycled is None else recycled,
        )

    def set(self, **overrides: Any) -> Self:
        """Fixed attribute values (or declarations) for every object."""
        return self._copy(overrides={**self.overrides, **overrides})


def as_recipe(target: Any) -> Recipe:
    """A recipe from a builder, a suite factory or a plain factory_boy ``DjangoModelFactory``."""
    if isinstance(target, Recipe):
        return target
    if isinstance(target, type) and issubclass(target, adapter.DjangoModelFactory):
        return Recipe(target)
    raise BulkError(f"expected a factory class or builder, got {target!r}")


@dataclass
class Resolved:
    """A recipe taken apart for the column compilers (see :func:`resolve`)."""

    declarations: dict[str, Any]
    params: dict[str, Any]
    state_names: list[str]
    overrides: dict[str, Any]
    #: ``author__first_name`` values: overrides for the parent plan of the ``author`` key.
    nested: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: (declaration, count, extra values) of each has-many/has-one child to write.
    relations: list[tuple[Relationship, Any, dict[str, Any]]] = field(default_factory=list)
    m2m: list[tuple[models.ManyToManyField[Any, Any], sample]] = field(default_factory=list)
    #: Post-generation declarations that are not has-many/has-one, and values given to them.
    hooks: dict[str, Any] = field(default_factory=dict)
    hook_values: dict[str, Any] = field(default_factory=dict)
    fallback_reason: str | None = None


def resolve(
    recipe: Recipe,
    model: type[models.Model],
    fk_fields: dict[str, models.ForeignKey[Any, Any]],
    fixed: dict[str, Any],
) -> Resolved:
    """Split ``recipe`` (plus ``fixed`` values) into what the bulk path generates."""
    factory_class = recipe.factory_class
    parameters = adapter.parameters(factory_class)
    declarations: dict[str, Any] = {}
    post: dict[str, Any] = {}
    for name, decl in adapter.declarations(factory_class).items():
        (post if adapter.is_post_generation(decl) else declarations)[name] = decl
    given = {**recipe.overrides, **fixed}
    state_names = list(recipe.state_names)
    for name, value in given.items():
        # factory_boy style: UserFactory(admin=True) turns the "admin" trait on.
        if adapter.is_trait(parameters.get(name)) and value is True:
            state_names.append(name)
    resolved = Resolved(
        declarations=declarations,
        params=adapter.simple_parameters(factory_class),
        state_names=state_names,
        overrides={k: v for k, v in given.items() if not adapter.is_trait(parameters.get(k))},
        hooks={n: d for n, d in post.items() if not isinstance(d, Relationship)},
    )

    def nest(key: str, value: Any, reason: str) -> None:
        """Route ``parent__field`` to the parent's plan; anything else needs factory_boy."""
        prefix, rest = key.split("__", 1)
        if prefix in fk_fields:
            resolved.nested.setdefault(prefix, {})[rest] = value
        else:
            resolved.fallback_reason = reason

    for state in state_names:
        for key, value in adapter.trait_overrides(factory_class, state).items():
            if "__" in key:
                nest(key, value, f"state {state!r} sets nested {key!r}")
            else:
                declarations[key] = value
    overrides = resolved.overrides
    for key in list(overrides):
        if "__" not in key:
            continue
        prefix = key.split("__", 1)[0]
        if prefix in resolved.hooks:
            resolved.hook_values[key] = overrides.pop(key)
        elif prefix in declarations:
            nest(key, overrides.pop(key), f"nested override {key!r}")
        elif prefix not in post:
            raise BulkError(f"{factory_class.__name__}: unknown nested override {key!r}")
    for name in list(overrides):
        if name in resolved.hooks:
            resolved.hook_values[name] = overrides.pop(name)  # for the hook: not a column
    _relations(recipe, post, resolved)
    m2m_fields = {f.name: f for f in model._meta.many_to_many}
    for name in list(overrides):
        if name in m2m_fields:
            value = overrides.pop(name)
            spec = value if isinstance(value, sample) else sample(value)
            resolved.m2m.append((m2m_fields[name], spec))
    return resolved


def _relations(recipe: Recipe, post: dict[str, Any], resolved: Resolved) -> None:
    """Has-many/has-one children: from ``with_*()`` and factory_boy-style ``posts=3``."""
    overrides = resolved.overrides
    for name, (count, extra) in recipe.relations.items():
        decl = post.get(name)
        if not isinstance(decl, Relationship):
            raise BulkError(f"{recipe.factory_class.__name__} has no relationship {name!r}")
        resolved.relations.append((decl, count, extra))
    for name, decl in post.items():
        if not isinstance(decl, Relationship):
            continue
        # factory_boy style: posts=3, posts__title="Hi"
        prefix = f"{name}__"
        extra = {
            k[len(prefix) :]: overrides.pop(k) for k in list(overrides) if k.startswith(prefix)
        }
        if name not in recipe.relations:
            default = overrides.pop(name, decl.default)
            if default:
                resolved.relations.append((decl, default, extra))
        else:
            overrides.pop(name, None)
