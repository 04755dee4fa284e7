"""Column compilers: one per declaration type, each turning a declaration into a generator.

A *column* makes a batch of values at once, ``(n, first sequence number) -> list``; a *row
function* computes one value from the row being built (LazyAttribute and friends). The
table :data:`COMPILERS` maps a factory_boy declaration type to its compiler; the most
specific type in the declaration's class hierarchy wins, so ``UniqueFaker`` is compiled as a
``Faker`` and ``LazyAttributeSequence`` before ``Sequence``. A plain value is a constant
column; any other declaration raises :class:`Unsupported` and the factory falls back to
factory_boy's ``build()`` per row.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import factory
import factory.declarations
import factory.fuzzy
from django.contrib.auth.hashers import make_password
from django.db import models

from forge_suite.seeding import adapter
from forge_suite.seeding.bulk.recipe import FILLED_BY_CALLER, Recipe, as_recipe
from forge_suite.seeding.bulk.results import sample, source_pks
from forge_suite.seeding.bulk.rows import Row
from forge_suite.seeding.exceptions import BulkError
from forge_suite.seeding.passwords import hash_once, hashed_password
from forge_suite.seeding.session import SeedSession
from forge_suite.seeding.unique import UniqueFaker, unique_faker, unique_suffix

_fb: Any = factory  # the declaration classes below are factory_boy's public API

__all__ = [
    "COMPILERS",
    "Column",
    "Compiled",
    "RowFn",
    "Unsupported",
    "compile_declaration",
    "compile_foreign_key",
]

Column = Callable[[int, int], list[Any]]  # (batch size, first sequence number) -> values
RowFn = Callable[[Row], Any]


class Unsupported(Exception):
    """A declaration the column compilers cannot turn into a fast generator."""


@dataclass
class Compiled:
    """One compiled declaration: a column or a row function."""

    column: Column | None = None
    row_fn: RowFn | None = None
    #: Values already unique per row (a sequence, a UniqueFaker): no suffix on a unique column.
    is_sequence: bool = False


@dataclass
class Context:
    """What a compiler may use: the declaration's name and the run's session."""

    name: str
    session: SeedSession
    factory_class: Any = None

    @property
    def rng(self) -> random.Random:
        return self.session.rng


def _pool(
    session: SeedSession, provider: str, kwargs: dict[str, Any], locale: str | None
) -> list[Any]:
    """Pre-generated values for one Faker declaration, made with the factory's own Faker.

    The pool depends only on the session seed and the declaration, not on call order.
    """
    from forge_suite.seeding.conf import app_settings

    locale = locale or adapter.default_locale()
    key = (provider, repr(sorted(kwargs.items())), locale)
    values = session.pools.get(key)
    if values is None:
        faker = adapter.faker_for(locale)
        rnd = faker.random
        saved = rnd.getstate()
        rnd.seed(f"{session.seed}:{key}")
        try:
            values = [faker.format(provider, **kwargs) for _ in range(app_settings.POOL_SIZE)]
        finally:
            rnd.setstate(saved)
        session.pools[key] = values
    return values


def compile_faker(value: Any, ctx: Context) -> Compiled:
    provider, kwargs, locale = adapter.faker_spec(value)
    if any(adapter.is_declaration(v) for v in kwargs.values()):
        raise Unsupported(f"{ctx.name}: Faker arguments that are declarations")
    pool = _pool(ctx.session, provider, kwargs, locale)
    rng = ctx.rng

    def column(n: int, seq: int) -> list[Any]:
        return rng.choices(pool, k=n)

    return Compiled(column)


def compile_unique_faker(value: UniqueFaker, ctx: Context) -> Compiled:
    """New, valid values drawn one by one (see :mod:`forge_suite.seeding.unique`)."""
    provider, kwargs, locale = adapter.faker_spec(value)
    if any(adapter.is_declaration(v) for v in kwargs.values()):
        raise Unsupported(f"{ctx.name}: Faker arguments that are declarations")
    value.bind(ctx.name)
    unique = value.column(ctx.session, ctx.factory_class)
    locale = locale or adapter.default_locale()
    faker = unique_faker(provider, locale, adapter.faker_for(locale))
    seed = f"{ctx.session.seed}:unique:{provider}:{sorted(kwargs.items())!r}:{unique.label}"

    def column(n: int, seq: int) -> list[Any]:
        # Faker's generator is shared: draw with this column's own random state.
        rnd = faker.random
        saved = rnd.getstate()
        if unique.state is None:
            rnd.seed(seed)
        else:
            rnd.setstate(unique.state)
        try:
            return value.draw(unique, faker, kwargs, n)
        finally:
            unique.state = rnd.getstate()
            rnd.setstate(saved)

    return Compiled(column, is_sequence=True)  # unique already: no suffix


def compile_lazy_attribute_sequence(value: Any, ctx: Context) -> Compiled:
    function = adapter.function_of(value)

    def row_fn(row: Row) -> Any:
        return function(row, row._values["__seq__"])

    return Compiled(row_fn=row_fn, is_sequence=True)


def compile_sequence(value: Any, ctx: Context) -> Compiled:
    function = adapter.function_of(value)

    def column(n: int, seq: int) -> list[Any]:
        return [function(i) for i in range(seq, seq + n)]

    return Compiled(column, is_sequence=True)


def compile_lazy_function(value: Any, ctx: Context) -> Compiled:
    function = adapter.function_of(value)
    return Compiled(lambda n, seq: [function() for _ in range(n)])


def compile_lazy_attribute(value: Any, ctx: Context) -> Compiled:
    return Compiled(row_fn=adapter.function_of(value))


def compile_self_attribute(value: Any, ctx: Context) -> Compiled:
    depth, path, default = adapter.self_attribute(value)
    if depth > 1:
        raise Unsupported(f"{ctx.name}: SelfAttribute reaching a parent")

    def row_fn(row: Row) -> Any:
        target: Any = row
        for part in path:
            try:
                target = getattr(target, part)
            except AttributeError:
                if default is adapter.UNSPECIFIED:
                    raise
                return default
        return target

    return Compiled(row_fn=row_fn)


def compile_iterator(value: Any, ctx: Context) -> Compiled:
    take = adapter.iterator_values(value)
    return Compiled(lambda n, seq: take(n))


def compile_fuzzy(value: Any, ctx: Context) -> Compiled:
    fuzz = adapter.fuzzer(value)
    return Compiled(lambda n, seq: [fuzz() for _ in range(n)])


def compile_transformer(value: Any, ctx: Context) -> Compiled:
    transform, raw = adapter.transformer(value)
    if adapter.is_declaration(raw):
        raise Unsupported(f"{ctx.name}: Transformer around a declaration")
    if transform is make_password or transform is hash_once:
        hashed = hashed_password(ctx.session, raw)  # hashing per row would dominate
        return Compiled(lambda n, seq: [hashed] * n)
    return Compiled(lambda n, seq: [transform(raw) for _ in range(n)])


def reject_sample(value: Any, ctx: Context) -> Compiled:
    raise BulkError(f"{ctx.name}: sample() is for many-to-many fields only")


#: Declaration type -> compiler. Add an entry to teach the bulk path a new declaration.
COMPILERS: dict[type, Callable[[Any, Context], Compiled]] = {
    _fb.Faker: compile_faker,
    UniqueFaker: compile_unique_faker,
    _fb.LazyAttributeSequence: compile_lazy_attribute_sequence,
    _fb.Sequence: compile_sequence,
    _fb.LazyFunction: compile_lazy_function,
    _fb.LazyAttribute: compile_lazy_attribute,
    _fb.SelfAttribute: compile_self_attribute,
    _fb.Iterator: compile_iterator,
    _fb.fuzzy.BaseFuzzyAttribute: compile_fuzzy,
    _fb.declarations.Transformer: compile_transformer,
    sample: reject_sample,
}


def compile_declaration(
    name: str,
    value: Any,
    session: SeedSession,
    unique: bool,
    max_length: int | None,
    factory_class: Any = None,
) -> Compiled:
    """Compile one declaration (or plain value) of a non-key field into a generator."""
    ctx = Context(name, session, factory_class)
    compiler = next((COMPILERS[k] for k in type(value).__mro__ if k in COMPILERS), None)
    if compiler is not None:
        compiled = compiler(value, ctx)
    elif adapter.is_declaration(value):
        raise Unsupported(f"{name}: {type(value).__name__}")
    else:
        constant = value
        compiled = Compiled(lambda n, seq: [constant] * n)
    if unique and not compiled.is_sequence:
        _make_column_unique(compiled, max_length, session.rng)
    return compiled


def _make_column_unique(compiled: Compiled, max_length: int | None, rng: Any) -> None:
    if compiled.row_fn is not None:
        inner = compiled.row_fn

        def row_fn(row: Row) -> Any:
            return make_unique(inner(row), row._values["__seq__"], max_length)

        compiled.row_fn = row_fn
        return
    base = compiled.column
    assert base is not None

    def column(n: int, seq: int) -> list[Any]:
        return [
            make_unique(v, s, max_length)
            for v, s in zip(base(n, seq), range(seq, seq + n), strict=True)
        ]

    compiled.column = column


def make_unique(value: Any, seq: int, max_length: int | None) -> Any:
    """A value made unique by the row's sequence number (strings get a suffix)."""
    if isinstance(value, str):
        return unique_suffix(value, seq, max_length)
    if isinstance(value, bool):
        raise BulkError("a boolean column cannot be unique across many rows")
    if isinstance(value, int):
        return seq
    return value


def compile_foreign_key(
    label: str,
    fk: models.ForeignKey[Any, Any],
    value: Any,
    session: SeedSession,
    nested: dict[str, Any] | None,
) -> Column | Recipe | None:
    """A foreign key: a parent recipe to write per batch, a column of keys, or None.

    None means the caller fills the key (a relation's parent).
    """
    if value is FILLED_BY_CALLER:
        return None
    if isinstance(value, _fb.SubFactory):
        parent_recipe = as_recipe(value.get_factory())
        defaults = {**adapter.subfactory_defaults(value), **(nested or {})}
        return parent_recipe.set(**defaults) if defaults else parent_recipe
    if nested:
        raise BulkError(
            f"{label}.{fk.name}: nested values ({', '.join(sorted(nested))}) need a "
            f"SubFactory parent, not given parents"
        )
    if isinstance(value, sample):
        raise BulkError(f"{fk.name}: sample() is for many-to-many fields only")
    if adapter.is_declaration(value):
        raise Unsupported(f"{fk.name}: {type(value).__name__} on a foreign key")
    if value is None:
        if not fk.null:
            raise BulkError(f"{label}.{fk.name} cannot be None")
        return lambda n, seq: [None] * n
    pks = source_pks(value)
    if not pks:
        raise BulkError(f"{label}.{fk.name}: no parent rows to choose from")
    if fk.unique:
        return _one_to_one(label, fk, pks)
    if len(pks) == 1:
        only = pks[0]
        return lambda n, seq: [only] * n
    rng = session.rng
    return lambda n, seq: rng.choices(pks, k=n)


def _one_to_one(label: str, fk: models.ForeignKey[Any, Any], pks: Sequence[Any]) -> Column:
    """Every parent at most once, in order."""
    taken = [0]

    def column(n: int, seq: int) -> list[Any]:
        start = taken[0]
        if start + n > len(pks):
            raise BulkError(
                f"{label}.{fk.name} is one-to-one but only {len(pks)} parents were given"
            )
        taken[0] = start + n
        return list(pks[start : start + n])

    return column
