"""What the bulk path returns and takes: :class:`BulkResult`, :class:`sample`, parent sources."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from django.db import models
from django.db.models import QuerySet

from forge_suite.seeding.exceptions import BulkError

__all__ = ["BulkResult", "find_fk", "is_source", "sample", "source_pks"]


class BulkResult(Sequence[Any]):
    """Primary keys of the rows one bulk call wrote, plus the row count per model.

    Pass it as a foreign-key value to another bulk call (``author=users``) to draw parents
    from it; ``len(result)`` is the number of top-level rows.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        pk = model._meta.pk
        integer = isinstance(pk, (models.AutoField, models.BigAutoField, models.IntegerField))
        self.pks: Any = array("q") if integer else []
        self.rows: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.pks)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self.pks[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.pks)

    def __repr__(self) -> str:
        return f"<BulkResult {self.model._meta.label} x{len(self)} rows={dict(self.rows)}>"

    def queryset(self) -> QuerySet[Any]:
        """The written rows (top level) as a queryset."""
        return self.model._default_manager.filter(pk__in=list(self.pks))

    @property
    def total_rows(self) -> int:
        """Rows written by the call, every model counted (parents, children, links)."""
        return sum(self.rows.values())


class sample:
    """Many-to-many value for the bulk path: ``tags=sample(tags, k=(1, 3))``.

    Each row gets ``k`` distinct targets (an int or an inclusive ``(low, high)`` range) drawn
    from a :class:`BulkResult`, queryset, or list of objects or primary keys.
    """

    def __init__(self, source: Any, k: int | tuple[int, int] = (1, 3)) -> None:
        self.source = source
        self.k = k


def source_pks(source: Any) -> Sequence[Any]:
    """Primary keys from a BulkResult, queryset, model instance(s) or plain keys."""
    if isinstance(source, BulkResult):
        pks: Sequence[Any] = source.pks
        return pks
    if isinstance(source, QuerySet):
        return list(source.values_list("pk", flat=True))
    if isinstance(source, models.Model):
        return [source.pk]
    if isinstance(source, Iterable) and not isinstance(source, (str, bytes)):
        return [item.pk if isinstance(item, models.Model) else item for item in source]
    raise BulkError(f"cannot draw primary keys from {source!r}")


def is_source(value: Any) -> bool:
    """True for values that name parent rows (a result, a queryset, a list of instances)."""
    return isinstance(value, (BulkResult, QuerySet)) or (
        isinstance(value, (list, tuple)) and bool(value) and isinstance(value[0], models.Model)
    )


def find_fk(model: type[models.Model], parents: Any) -> str:
    """The one foreign key of ``model`` pointing at the parents' model (for ``per=``)."""
    if isinstance(parents, BulkResult):
        parent_model: Any = parents.model
    elif isinstance(parents, QuerySet):
        parent_model = parents.model
    else:
        items = list(parents)
        if not items or not isinstance(items[0], models.Model):
            raise BulkError("per= needs a BulkResult, a queryset or model instances; or pass fk=")
        parent_model = type(items[0])
    candidates = [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is parent_model
    ]
    if len(candidates) != 1:
        raise BulkError(
            f"{model._meta.label} has {len(candidates)} foreign keys to "
            f"{parent_model._meta.label}; pass fk= with one of: {', '.join(candidates) or 'none'}"
        )
    return candidates[0]
