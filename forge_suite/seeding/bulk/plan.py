"""A plan: one recipe compiled into column generators, then written batch after batch.

For each batch the plan reserves a block of sequence numbers, writes the parents it needs
first, generates the rows, inserts them, then adds the many-to-many rows and the has-many /
has-one children. Only primary keys are kept between batches (memory stays flat).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import models

from forge_suite.seeding import adapter
from forge_suite.seeding.bulk.compilers import (
    Column,
    RowFn,
    Unsupported,
    compile_declaration,
    compile_foreign_key,
)
from forge_suite.seeding.bulk.hooks import Hooks
from forge_suite.seeding.bulk.recipe import FILLED_BY_CALLER, Recipe, as_recipe, resolve
from forge_suite.seeding.bulk.results import BulkResult, sample, source_pks
from forge_suite.seeding.bulk.rows import Assembler, Row, RowContext
from forge_suite.seeding.bulk.writers import insert_objects
from forge_suite.seeding.exceptions import BulkError
from forge_suite.seeding.relations import HasOne, Relationship, resolve_count
from forge_suite.seeding.session import SeedSession

__all__ = ["Plan"]


class Plan:
    """One factory recipe compiled into column generators (built once per bulk call)."""

    def __init__(
        self,
        recipe: Recipe,
        session: SeedSession,
        using: str,
        batch_size: int,
        fixed: dict[str, Any] | None = None,
        recycle: dict[Any, Sequence[Any]] | None = None,
    ) -> None:
        factory_class = recipe.factory_class
        #: Model -> keys of existing rows that SubFactory parents of that model reuse.
        self.recycle = recycle or {}
        self.factory_class = factory_class
        self.session = session
        self.using = using
        self.batch_size = batch_size
        model = adapter.model_of(factory_class)
        if model is None:
            raise BulkError(f"{factory_class.__name__} has no Meta.model")
        self.model: type[models.Model] = model
        self.label = model._meta.label
        opts = model._meta
        self.fk_fields = {
            f.name: f for f in opts.concrete_fields if isinstance(f, models.ForeignKey)
        }
        self.unique_fields = _unique_fields(model)
        spec = resolve(recipe, model, self.fk_fields, fixed or {})
        self.spec = spec
        self.params = spec.params
        self.state_names = spec.state_names
        self.overrides = spec.overrides
        self.excluded = adapter.excluded(factory_class)
        self.rename = adapter.renames(factory_class)
        self.m2m = spec.m2m
        self.fallback_reason = spec.fallback_reason

        self.columns: dict[str, Column] = {}
        self.row_fns: dict[str, RowFn] = {}
        self.parents: dict[str, Plan] = {}  # FK attname -> parent plan made per batch
        parameters = adapter.parameters(factory_class)
        values = {**spec.declarations, **spec.overrides}
        if self.fallback_reason is None:
            try:
                for name, value in values.items():
                    if name in parameters:
                        if name in spec.overrides and not adapter.is_declaration(value):
                            self.params[name] = value
                        continue
                    self._compile(name, value)
            except Unsupported as exc:
                self.fallback_reason = str(exc)
        if self.fallback_reason is not None:
            # factory_boy builds each row; only the foreign keys (parents written first, or
            # drawn from the given ones) are generated here.
            self.columns, self.row_fns, self.parents = {}, {}, {}
            for name, value in values.items():
                fk = self.fk_fields.get(name)
                if fk is not None:
                    with contextlib.suppress(Unsupported):
                        self._compile_fk(fk, value)
        self.row_context = RowContext(
            f"{factory_class.__name__}", self.row_fns, self.fk_fields, self.params
        )
        self.assembler = Assembler(model, self.fk_fields)
        self.hooks = Hooks(factory_class.__name__, model, spec.hooks, spec.hook_values)
        self.children: list[tuple[Plan, Any, str]] = []
        for decl, count, extra in spec.relations:
            if isinstance(decl, HasOne) and not count:
                continue
            child_recipe = as_recipe(decl.get_factory()).set(**{**decl.defaults, **extra})
            fill = {decl.fk: FILLED_BY_CALLER}
            child = Plan(child_recipe, session, using, batch_size, fill, self.recycle)
            self.children.append((child, 1 if isinstance(decl, HasOne) else count, decl.fk))

    # -- compilation ---------------------------------------------------------------------
    def _field(self, name: str) -> models.Field[Any, Any] | None:
        try:
            field = self.model._meta.get_field(self.rename.get(name, name))
        except Exception:
            return None
        return field if isinstance(field, models.Field) else None

    def _compile(self, name: str, value: Any) -> None:
        field = self._field(name)
        fk = self.fk_fields.get(name) or (
            self.fk_fields.get(field.name) if field is not None else None
        )
        if fk is not None:
            self._compile_fk(fk, value)
            return
        unique = field is not None and field.name in self.unique_fields
        max_length = getattr(field, "max_length", None)
        compiled = compile_declaration(
            name, value, self.session, unique, max_length, self.factory_class
        )
        target = self.rename.get(name, name)
        if compiled.row_fn is not None:
            self.row_fns[target] = compiled.row_fn
        else:
            assert compiled.column is not None
            self.columns[target] = compiled.column

    def _compile_fk(self, fk: models.ForeignKey[Any, Any], value: Any) -> None:
        nested = self.spec.nested.get(fk.name)
        if adapter.is_belongs_to(value) and not nested and fk.related_model in self.recycle:
            value = self.recycle[fk.related_model]  # recycle(): reuse, do not create
        found = compile_foreign_key(self.label, fk, value, self.session, nested)
        if isinstance(found, Recipe):
            self.parents[fk.attname] = Plan(
                found, self.session, self.using, self.batch_size, recycle=self.recycle
            )
        elif found is not None:
            self.columns[fk.attname] = found

    # -- generation ----------------------------------------------------------------------
    def make_objects(self, n: int, fixed: dict[str, list[Any]], result: BulkResult) -> list[Any]:
        """Generate ``n`` unsaved instances (parents they need are written first)."""
        seq = adapter.reserve_sequence(self.factory_class, n)
        if self.fallback_reason is not None:
            return self._fallback_objects(n, seq, fixed, result)
        columns: dict[str, list[Any]] = {}
        for attname, parent in self.parents.items():
            if attname not in fixed:
                columns[attname] = parent.run_into(n, result)
        for name, column in self.columns.items():
            if name not in fixed:
                columns[name] = column(n, seq)
        columns.update(fixed)
        names = list(columns)
        rows: Iterable[tuple[Any, ...]] = (
            zip(*(columns[name] for name in names), strict=True) if names else [()] * n
        )
        excluded = self.excluded
        if not self.row_fns:
            if excluded & set(names):
                keep = [i for i, name in enumerate(names) if name not in excluded]
                names = [names[i] for i in keep]
                rows = (tuple(row[i] for i in keep) for row in rows)
            return self.assembler.instantiate([dict(zip(names, r, strict=True)) for r in rows])
        keys = [k for k in [*names, *self.row_fns] if k not in excluded]
        dicts = []
        for index, row_values in enumerate(rows):
            values = dict(zip(names, row_values, strict=True))
            values["__seq__"] = seq + index
            row = Row(self.row_context, values)
            for name in self.row_fns:
                getattr(row, name)
            dicts.append({k: values[k] for k in keys})
        return self.assembler.instantiate(dicts)

    def _fallback_objects(
        self, n: int, seq: int, fixed: dict[str, list[Any]], result: BulkResult
    ) -> list[Any]:
        """factory_boy ``build()`` per row, with parents as primary-key stubs."""
        objects = []
        base: dict[str, Any] = dict.fromkeys(self.state_names, True)
        for name, decl in adapter.declarations(self.factory_class).items():
            if isinstance(decl, Relationship):  # written by the bulk path after the batch
                base[name] = False if isinstance(decl, HasOne) else 0
        stubs: dict[str, list[Any]] = {}
        for attname, parent in self.parents.items():
            if attname not in fixed:
                stubs[attname] = parent.run_into(n, result)
        for name, column in self.columns.items():
            if name not in fixed:
                stubs[name] = column(n, seq)  # only foreign keys are compiled in a fallback
        stubs.update(fixed)
        by_attname = {f.attname: f for f in self.fk_fields.values()}
        for index in range(n):
            kwargs = dict(base)
            for key, value in self.overrides.items():
                if key not in self.fk_fields and key not in by_attname:
                    kwargs[key] = value
            for attname, values in stubs.items():
                field = by_attname.get(attname)
                if field is None:
                    kwargs[attname] = values[index]
                else:
                    pk = values[index]
                    related: Any = field.related_model
                    kwargs[field.name] = related(pk=pk) if pk is not None else None
            objects.append(self.factory_class.build(**kwargs))
        return objects

    def write_batch(self, n: int, fixed: dict[str, list[Any]], result: BulkResult) -> list[Any]:
        """Generate, insert and complete one batch; return the new primary keys."""
        objects = self.make_objects(n, fixed, result)
        insert_objects(self.model, objects, self.using)
        pks = [obj.pk for obj in objects]
        result.rows[self.label] += n
        self.session.count(self.label, n)
        for field, spec in self.m2m:
            self._write_m2m(field, spec, pks, result)
        if self.hooks:
            written = self.hooks.run(objects, self.using)
            result.rows.update(written)
            for label, rows in written.items():
                self.session.count(label, rows)
        del objects  # only the keys outlive the batch (children are written next)
        for child, count, fk in self.children:
            child.run_for_parents(pks, count, fk, result)
        return pks

    def _write_m2m(
        self, field: models.ManyToManyField[Any, Any], spec: sample, pks: list[Any], result: Any
    ) -> None:
        through: Any = field.remote_field.through
        targets = source_pks(spec.source)
        if not targets:
            return
        source_att = through._meta.get_field(field.m2m_field_name()).attname
        target_att = through._meta.get_field(field.m2m_reverse_field_name()).attname
        rng = self.session.rng
        rows = []
        for pk in pks:
            k = min(resolve_count(spec.k, rng), len(targets))
            chosen = rng.sample(range(len(targets)), k) if k else []
            for index in chosen:
                rows.append(through(**{source_att: pk, target_att: targets[index]}))
        for start in range(0, len(rows), self.batch_size):
            insert_objects(through, rows[start : start + self.batch_size], self.using)
        label = through._meta.label
        result.rows[label] += len(rows)
        self.session.count(label, len(rows))

    def run(self, count: int, result: BulkResult, bar: Any = None) -> None:
        """Write ``count`` rows in batches; their keys go to ``result``."""
        remaining = count
        while remaining > 0:
            n = min(self.batch_size, remaining)
            result.pks.extend(self.write_batch(n, {}, result))
            remaining -= n
            if bar is not None:
                bar.update(n)

    def run_into(self, n: int, result: BulkResult) -> list[Any]:
        """Write ``n`` parent rows for a child batch; count them in ``result``; return keys."""
        own = BulkResult(self.model)
        self.run(n, own)
        result.rows.update(own.rows)
        return list(own.pks)

    def run_for_parents(
        self,
        parents: Iterable[Any],
        count: Any,
        fk: str,
        result: BulkResult,
        bar: Any = None,
        collect: BulkResult | None = None,
    ) -> None:
        """Write ``count`` rows (int or range) for each parent key, streamed in batches."""
        field = self.fk_fields.get(fk)
        if field is None:
            raise BulkError(f"{self.label} has no foreign key {fk!r}")
        attname = field.attname
        rng = self.session.rng

        def expanded() -> Iterator[Any]:
            for parent in parents:
                for _ in range(resolve_count(count, rng)):
                    yield parent

        stream = expanded()
        while True:
            chunk = list(itertools.islice(stream, self.batch_size))
            if not chunk:
                break
            pks = self.write_batch(len(chunk), {attname: chunk}, result)
            if collect is not None:
                collect.pks.extend(pks)
            if bar is not None:
                bar.update(len(chunk))


def _unique_fields(model: type[models.Model]) -> set[str]:
    """Non-key fields that must be unique on their own (field flag or one-field constraint)."""
    opts = model._meta
    unique = {
        f.name
        for f in opts.concrete_fields
        if f.unique and not f.primary_key and not isinstance(f, models.ForeignKey)
    }
    for constraint in opts.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and len(constraint.fields) == 1
            and constraint.condition is None
        ):
            unique.add(constraint.fields[0])
    return unique
