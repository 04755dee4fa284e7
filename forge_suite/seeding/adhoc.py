"""Rows with children, the way ``manage.py factory MODEL N --with NAME=COUNT`` makes them.

The children of each ``--with`` relation are written after all their parents, so that their
*other* parents (a comment's author) are drawn from rows that exist by then, like Laravel's
``recycle()``, instead of one new row each: ``factory blog.Post 50 --with comments`` makes
50 users (the posts' authors), not one more per comment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from forge_suite.seeding import adapter
from forge_suite.seeding.factories import FactoryBuilder
from forge_suite.seeding.relations import resolve_count

__all__ = ["bulk_with", "create_with", "existing_parents"]

Relations = list[tuple[str, Any]]


def existing_parents(builder: FactoryBuilder, skip: str) -> list[Any]:
    """Querysets of the belongs-to parents of ``builder``'s factory that already have rows."""
    found = []
    for name, declaration in adapter.declarations(builder.factory_class).items():
        if name == skip or not adapter.is_belongs_to(declaration):
            continue
        model = adapter.model_of(declaration.get_factory())
        if model is not None and model._default_manager.exists():
            found.append(model._default_manager.all())
    return found


def _children(
    recipe: FactoryBuilder, relations: Relations, recycled: list[Any]
) -> Iterator[tuple[FactoryBuilder, Any, str]]:
    factory_class = recipe.factory_class
    declarations = adapter.declarations(factory_class)
    for name, n in relations:
        relation = factory_class.relationships()[name]
        count = (1 if n else 0) if relation.kind == "has_one" else n
        child = FactoryBuilder(relation.factory).set(**declarations[name].defaults)
        reuse = [*recycled, *existing_parents(child, relation.fk)]
        yield child.recycle(*reuse), count, relation.fk


def bulk_with(
    recipe: FactoryBuilder, count: int, relations: Relations, recycled: list[Any]
) -> dict[str, int]:
    """``count`` rows on the bulk path, then their children; rows written per model."""
    with transaction.atomic():
        parents = recipe.recycle(*recycled).bulk(count)
        rows = Counter(parents.rows)
        for child, n, fk in _children(recipe, relations, recycled):
            rows.update(child.bulk(n, per=parents, fk=fk).rows)
    return dict(rows)


def create_with(
    recipe: FactoryBuilder, count: int, relations: Relations, recycled: list[Any]
) -> list[Any]:
    """``count`` rows with ``create()``, then their children; returns the parents."""
    with transaction.atomic():
        parents = recipe.recycle(*recycled).create_batch(count)
        for child, n, fk in _children(recipe, relations, recycled):
            for parent in parents:
                child.set(**{fk: parent}).create_batch(resolve_count(n, adapter.randgen()))
    return parents
