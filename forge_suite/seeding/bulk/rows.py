"""Rows of the bulk path: the object a LazyAttribute sees, and fast model instances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState

__all__ = ["Assembler", "Row", "RowContext"]


class RowContext:
    """What a :class:`Row` resolves names against: row functions, foreign keys, Params."""

    def __init__(
        self,
        owner: str,
        row_fns: dict[str, Callable[[Row], Any]],
        fk_fields: dict[str, models.ForeignKey[Any, Any]],
        params: dict[str, Any],
    ) -> None:
        self.owner = owner
        self.row_fns = row_fns
        self.fk_fields = fk_fields
        self.params = params


class Row:
    """The object a LazyAttribute sees on the bulk path: resolved values, computed on demand."""

    __slots__ = ("_context", "_values")

    def __init__(self, context: RowContext, values: dict[str, Any]) -> None:
        self._context = context
        self._values = values

    def __getattr__(self, name: str) -> Any:
        values = self._values
        if name in values:
            return values[name]
        context = self._context
        if name in context.row_fns:
            value = values[name] = context.row_fns[name](self)
            return value
        field = context.fk_fields.get(name)
        if field is not None:
            related: Any = field.related_model
            pk = values.get(field.attname)
            stub = related(pk=pk) if pk is not None else None
            values[name] = stub
            return stub
        if name in context.params:
            return context.params[name]
        raise AttributeError(f"{context.owner} row has no attribute {name!r}")


class Assembler:
    """Model instances from attribute dicts, skipping ``Model.__init__`` when it is safe.

    ``Model(**kwargs)`` costs more than generating the row, so when every key is a plain
    concrete field and nothing listens to ``pre_init``/``post_init``, the instance is
    assembled directly: the field defaults, then the row, exactly what ``__init__`` would
    leave in ``__dict__``.
    """

    def __init__(
        self, model: type[models.Model], fk_fields: dict[str, models.ForeignKey[Any, Any]]
    ) -> None:
        self.model = model
        self.fk_fields = fk_fields
        self._templates: dict[frozenset[str], Any] = {}

    def instantiate(self, rows: list[dict[str, Any]]) -> list[Any]:
        model = self.model
        if not rows:
            return []
        fast = self._template(rows[0])
        if fast is None:
            return [model(**row) for row in rows]
        template, dynamic, renames = fast
        new = object.__new__
        objects = []
        for row in rows:
            obj = new(model)
            values = template.copy()
            for attname, field in dynamic:
                values[attname] = field.get_default()
            for name, attname in renames:
                related = row.pop(name)
                row[attname] = related.pk if related is not None else None
            values.update(row)
            values["_state"] = ModelState()
            obj.__dict__ = values
            objects.append(obj)
        return objects

    def _template(self, sample_row: dict[str, Any]) -> Any:
        keys = frozenset(sample_row)
        if keys in self._templates:
            return self._templates[keys]
        opts = self.model._meta
        result: Any = None
        if not (
            signals.pre_init.has_listeners(self.model)
            or signals.post_init.has_listeners(self.model)
        ):
            attnames = {f.attname for f in opts.concrete_fields}
            renames = []
            ok = True
            for key in keys:
                if key in attnames:
                    continue
                field = self.fk_fields.get(key)
                if field is not None and field.attname not in keys:
                    renames.append((key, field.attname))
                    continue
                ok = False
            if ok:
                template: dict[str, Any] = {}
                dynamic = []
                provided = keys | {attname for _, attname in renames}
                for concrete in opts.concrete_fields:
                    if concrete.attname in provided:
                        continue
                    if concrete.has_default() and callable(concrete.default):
                        dynamic.append((concrete.attname, concrete))
                    else:
                        template[concrete.attname] = concrete.get_default()
                result = (template, dynamic, renames)
        self._templates[keys] = result
        return result
