"""Helpers for your own tests: a seeded, row-counting decorator and factory assertions.

::

    from forge_suite.seeding.testing import assert_factory_valid, seeded

    def test_checkout(db):
        with seeded(42) as run:      # same data on every run; counts the rows written
            place_order(...)
        assert run.rows == {"shop.Order": 1, "shop.OrderItem": 3}

    @seeded(7)                       # or on a unittest/Django TestCase class or method
    class CheckoutTests(TestCase): ...

    def test_factories_make_valid_rows(db):
        assert_factory_valid(ProductFactory, 50)      # runs full_clean() on 50 built objects
        assert_factory_valid(ProductFactory, 50, bulk=True)  # the same on the bulk path

``seeded`` works as a decorator on functions and ``TestCase`` classes (like Django's
``override_settings``) and as a context manager. Unlike :func:`forge_suite.seeding.seeded`,
which only counts the bulk path, its session's ``rows`` also counts rows saved one at a time
(``Factory.create()``, ``objects.create()``), so a test can assert what a piece of code wrote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models.signals import post_save
from django.test.utils import TestContextDecorator

from forge_suite.seeding import adapter
from forge_suite.seeding.bulk import Recipe, bulk_create
from forge_suite.seeding.session import SeedSession
from forge_suite.seeding.session import seeded as session_seeded

__all__ = ["FactoryInvalid", "assert_factory_valid", "seeded"]


class seeded(TestContextDecorator):
    """Run a test (function, ``TestCase`` class or ``with`` block) with a fixed seed.

    The session (:class:`~forge_suite.seeding.session.SeedSession`) is what the ``with``
    statement gives, or the test's ``kwarg_name`` argument; its ``rows`` counts every row
    written in the block, bulk path and one-by-one saves alike.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        locale: str | None = None,
        attr_name: str | None = None,
        kwarg_name: str | None = None,
    ) -> None:
        self.seed = seed
        self.locale = locale
        self._stack: list[tuple[contextlib.AbstractContextManager[SeedSession], str]] = []
        super().__init__(attr_name=attr_name, kwarg_name=kwarg_name)

    def enable(self) -> SeedSession:
        manager = session_seeded(self.seed, locale=self.locale)
        session = manager.__enter__()

        def count(sender: Any, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
            if created and not raw:
                session.count(sender._meta.label, 1)

        uid = f"forge_seeding.testing.{id(session)}"
        post_save.connect(count, weak=False, dispatch_uid=uid)
        self._stack.append((manager, uid))
        return session

    def disable(self) -> None:
        manager, uid = self._stack.pop()
        post_save.disconnect(dispatch_uid=uid)
        manager.__exit__(None, None, None)

    # django-stubs types TestContextDecorator.__enter__ for isolate_apps (Apps | None).
    def __enter__(self) -> SeedSession:  # type: ignore[override]
        return self.enable()


class FactoryInvalid(AssertionError):
    """A factory made an object that its model's validation rejects."""


def assert_factory_valid(
    factory: Recipe | type[adapter.DjangoModelFactory],
    count: int = 25,
    *,
    bulk: bool = False,
    seed: int = 0,
    exclude: Iterable[str] = (),
) -> list[models.Model]:
    """Check that ``count`` objects of ``factory`` pass their model's ``full_clean()``.

    Catches values a database would accept but the model does not: a ``max_length``
    exceeded, a choice that does not exist, a value its validators reject (an ISBN with a
    suffix). With ``bulk=True`` the rows come from the bulk path (written, checked, then
    rolled back: it needs a database); else they are built without a database. Foreign keys
    and uniqueness are left to the database. Returns the checked objects.
    """
    recipe = factory if isinstance(factory, Recipe) else Recipe(factory)
    model: type[models.Model] = adapter.model_of(recipe.factory_class)
    skip = set(exclude) | {f.name for f in model._meta.get_fields() if f.is_relation}
    with session_seeded(seed):
        if bulk:
            objects = _bulk_objects(recipe, model, count)
        else:
            build = getattr(recipe, "build", recipe.factory_class.build)
            objects = [build() for _ in range(count)]
    for index, obj in enumerate(objects):
        try:
            obj.full_clean(exclude=skip, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise FactoryInvalid(
                f"{recipe.factory_class.__name__} made an invalid {model._meta.label} "
                f"(object {index + 1} of {count}{', bulk path' if bulk else ''}): "
                f"{_describe(obj, exc)}"
            ) from exc
    return objects


class _Rollback(Exception):
    pass


def _bulk_objects(recipe: Recipe, model: type[models.Model], count: int) -> list[models.Model]:
    objects: list[models.Model] = []
    using = router.db_for_write(model)
    with contextlib.suppress(_Rollback), transaction.atomic(using=using):
        result = bulk_create(recipe, count, using=using)
        objects = list(result.queryset().order_by("pk"))
        raise _Rollback
    return objects


def _describe(obj: models.Model, error: ValidationError) -> str:
    parts = []
    for field, messages in error.message_dict.items():
        value = getattr(obj, field, None)
        parts.append(f"{field}={value!r}: {' '.join(messages)}")
    return "; ".join(parts)
