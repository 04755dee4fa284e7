"""Laravel's ``recycle()``: reuse existing parents instead of creating new ones.

``PostFactory.with_comments(3).recycle(users).create_batch(10)`` gives every post *and*
every comment an author drawn from ``users``; without it each of them would create its own
user. A source is a model instance, a list of instances, a queryset or a ``BulkResult``;
every ``SubFactory`` anywhere in the graph (parents of parents, has-many/has-one children
and their parents) whose model matches draws from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.db.models import QuerySet

from forge_suite.seeding import adapter
from forge_suite.seeding.bulk.results import BulkResult, source_pks
from forge_suite.seeding.exceptions import BulkError

__all__ = ["Recycled", "active", "recycled_kwargs", "recycling", "source_model"]

#: How deep into parents of parents recycled values are passed (``post__author__...``).
MAX_DEPTH = 4

_ACTIVE: ContextVar[Recycled | None] = ContextVar("forge_seeding_recycled", default=None)


def source_model(source: Any) -> type[models.Model]:
    """The model of a recycle source."""
    if isinstance(source, BulkResult | QuerySet):
        model: type[models.Model] = source.model
        return model
    if isinstance(source, models.Model):
        return type(source)
    if isinstance(source, list | tuple) and source and isinstance(source[0], models.Model):
        return type(source[0])
    raise BulkError(f"recycle() takes model instances, a queryset or a BulkResult, not {source!r}")


class Recycled:
    """The recycled sources of one call, by model, materialised on first use."""

    def __init__(self, sources: dict[type[models.Model], Any]) -> None:
        self.sources = sources
        self._objects: dict[type[models.Model], list[models.Model]] = {}

    def __contains__(self, model: Any) -> bool:
        return model in self.sources and bool(self.objects(model))

    def objects(self, model: type[models.Model]) -> list[models.Model]:
        """The recycled rows of ``model`` as instances (the create path assigns objects)."""
        if model not in self._objects:
            source = self.sources[model]
            if isinstance(source, BulkResult):
                found = list(source.queryset())
            elif isinstance(source, QuerySet):
                found = list(source)
            elif isinstance(source, models.Model):
                found = [source]
            else:
                found = list(source)
            self._objects[model] = found
        return self._objects[model]

    def pks(self) -> dict[type[models.Model], Sequence[Any]]:
        """Primary keys by model, for the bulk path (empty sources left out)."""
        found = {model: source_pks(source) for model, source in self.sources.items()}
        return {model: pks for model, pks in found.items() if len(pks)}


def recycled_kwargs(
    factory_class: Any, recycled: Recycled, given: Collection[str], depth: int = 0
) -> dict[str, Any]:
    """factory_boy kwargs pointing every recycled belongs-to relation at a recycled row.

    Relations the caller set (``author=...`` or ``author__name=...``) are left alone;
    parents that are not recycled get nested kwargs for their own parents.
    """
    result: dict[str, Any] = {}
    rng = adapter.randgen()
    for name, declaration in adapter.declarations(factory_class).items():
        if not adapter.is_belongs_to(declaration):
            continue
        if name in given or any(key.startswith(f"{name}__") for key in given):
            continue
        related = declaration.get_factory()
        model = adapter.model_of(related)
        if model in recycled:
            result[name] = rng.choice(recycled.objects(model))
        elif depth < MAX_DEPTH:
            nested = recycled_kwargs(related, recycled, (), depth + 1)
            result.update({f"{name}__{key}": value for key, value in nested.items()})
    return result


def active() -> Recycled | None:
    """The sources of the ``create()``/``build()`` running now (for has-many children)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def recycling(recycled: Recycled) -> Iterator[None]:
    token = _ACTIVE.set(recycled)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
