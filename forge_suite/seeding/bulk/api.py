"""``bulk_create()``: the entry point of the bulk path (``Factory.bulk`` calls it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import router, transaction

from forge_suite.seeding import adapter
from forge_suite.seeding.bulk.plan import Plan
from forge_suite.seeding.bulk.recipe import FILLED_BY_CALLER, Recipe, as_recipe
from forge_suite.seeding.bulk.results import BulkResult, find_fk, source_pks
from forge_suite.seeding.exceptions import BulkError
from forge_suite.seeding.relations import resolve_count
from forge_suite.seeding.session import current_session

__all__ = ["bulk_create"]


def bulk_create(
    target: Recipe | type[adapter.DjangoModelFactory],
    count: int | tuple[int, int] | None = None,
    *,
    per: Any = None,
    fk: str | None = None,
    batch_size: int | None = None,
    using: str | None = None,
    progress: bool | None = None,
    **overrides: Any,
) -> BulkResult:
    """Write ``count`` rows of a factory with ``bulk_create``, in batches, in one transaction.

    - ``overrides``: fixed values; a :class:`BulkResult`, queryset or list of instances for a
      foreign key draws a random parent per row; :class:`sample` fills a many-to-many field.
    - ``per=parents``: ``count`` rows (an int or an inclusive ``(low, high)`` range) for each
      parent, the foreign key ``fk`` (found automatically when there is one) pointing at it.
    - Parents declared with ``SubFactory`` and not overridden are created first, one per row.
    - ``with_*`` relationships of the recipe are written after each parent batch.

    Works with plain factory_boy ``DjangoModelFactory`` classes too.
    """
    from forge_suite.seeding.conf import app_settings

    recipe = as_recipe(target)
    if recipe.overrides or overrides:
        recipe = recipe.set(**overrides)
    model = adapter.model_of(recipe.factory_class)
    if model is None:
        raise BulkError(f"{recipe.factory_class.__name__} has no Meta.model")
    batch_size = int(batch_size or app_settings.BATCH_SIZE)
    if batch_size <= 0:
        raise BulkError(f"batch_size must be positive, not {batch_size}")
    session = current_session()
    using = using or router.db_for_write(model)
    show = session.progress if progress is None else progress
    result = BulkResult(model)

    fixed: dict[str, Any] = {}
    parents_pks: Sequence[Any] = ()
    if per is not None:
        parents_pks = source_pks(per)
        fk = fk or find_fk(model, per)
        fixed[fk] = FILLED_BY_CALLER
        if count is None:
            count = 1
        resolve_count(count, session.rng)
    elif count is None or isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise BulkError(f"count must be an int >= 0, not {count!r}")

    recycle: dict[Any, Sequence[Any]] = {}
    if recipe.recycled:
        from forge_suite.seeding.recycling import Recycled

        recycle = Recycled(recipe.recycled).pks()
    plan = Plan(recipe, session, using, batch_size, fixed=fixed, recycle=recycle)
    total: int | None = None
    if isinstance(count, int):
        total = count * len(parents_pks) if per is not None else count
    bar = _progress_bar(model._meta.label, total, show)
    try:
        with transaction.atomic(using=using):
            if per is not None:
                plan.run_for_parents(parents_pks, count, fk or "", result, bar, collect=result)
            else:
                plan.run(total or 0, result, bar)
    finally:
        if bar is not None:
            bar.close()
    return result


def _progress_bar(label: str, total: int | None, show: bool) -> Any:
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="rows", leave=False, dynamic_ncols=True)
