"""Unique values: :class:`UniqueFaker`, and the sequence suffix the bulk path gives plain
Faker values on unique columns.

A suffix keeps names and e-mail addresses unique but breaks values with a format (an ISBN,
an SKU, a slug with ``.7`` in it) and needs trimming to fit ``max_length``. So
``UniqueFaker`` draws again instead: a value is taken only when it is valid for its model
field (``max_length``, the field's validators), was not handed out before in this run and is
not already stored in the table. When the provider cannot give a new valid value after
``max_tries`` draws, it raises :class:`~forge_suite.seeding.exceptions.UniqueValuesExhausted`
naming the column, instead of looping or writing a duplicate.
"""

from __future__ import annotations

import functools
from typing import Any

import faker as faker_lib
from django.core.exceptions import ValidationError
from django.db import models

from forge_suite.seeding import adapter
from forge_suite.seeding.exceptions import UniqueValuesExhausted

__all__ = ["UniqueColumn", "UniqueFaker", "unique_faker", "unique_suffix", "unweighted_faker"]


def unique_suffix(value: Any, n: int, max_length: int | None = None) -> Any:
    """Make ``value`` unique with the sequence number ``n`` while keeping it realistic.

    ``"ann@example.org"`` -> ``"ann.7@example.org"``, ``"ann"`` -> ``"ann.7"``. Two different
    ``n`` never give the same string, whatever the values are; ``max_length`` trims the value,
    never the suffix.
    """
    if not isinstance(value, str):
        return value
    suffix = f".{n}"
    local, at, domain = value.rpartition("@")
    if at and local:
        if max_length is not None:
            local = local[: max(max_length - len(suffix) - len(domain) - 1, 0)]
        return f"{local}{suffix}@{domain}"
    if max_length is not None:
        value = value[: max(max_length - len(suffix), 0)]
    return f"{value}{suffix}"


class UniqueColumn:
    """What one UniqueFaker has handed out in a run, and the rules its values must meet."""

    def __init__(self, declaration: UniqueFaker, factory_class: Any) -> None:
        self.declaration = declaration
        self.field: models.Field[Any, Any] | None = None
        self.label = f"{getattr(factory_class, '__name__', factory_class)}"
        self.seen: set[Any] = set()
        self.state: Any = None  # the bulk path's own Faker random state
        model = adapter.model_of(factory_class) if factory_class is not None else None
        name = declaration.field_name
        if model is not None and name is not None:
            name = adapter.renames(factory_class).get(name, name)
            try:
                field = model._meta.get_field(name)
            except Exception:
                field = None
            if isinstance(field, models.Field):
                self.field = field
                self.label = f"{model._meta.label}.{field.name}"
                self.seen.update(_stored(model, field))
        self.max_length: int | None = declaration.max_length or getattr(
            self.field, "max_length", None
        )
        # Field.run_validators(), without its per-call set-up (the bulk path calls it per row).
        self.validators = list(self.field.validators) if self.field is not None else []
        self.empty_values = list(self.field.empty_values) if self.field is not None else []

    def accept(self, value: Any) -> bool:
        """Take ``value`` if it is new and valid for the field."""
        if value in self.seen:
            return False
        max_length = self.max_length
        if max_length is not None and isinstance(value, str) and len(value) > max_length:
            return False
        if self.validators and value not in self.empty_values:
            try:
                for validator in self.validators:
                    validator(value)
            except ValidationError:
                return False
        self.seen.add(value)
        return True

    def exhausted(self) -> UniqueValuesExhausted:
        declaration = self.declaration
        return UniqueValuesExhausted(
            f"UniqueFaker({declaration.provider!r}) for {self.label} found no new valid value "
            f"in {declaration.max_tries:,} draws after {len(self.seen):,} distinct values: the "
            f"provider's values are used up. Use a provider with more values, fewer rows, "
            f"or a factory.Sequence for this column."
        )


def _stored(model: type[models.Model], field: models.Field[Any, Any]) -> list[Any]:
    """Values already in the table (none without a database, e.g. build() in unit tests)."""
    try:
        return list(model._default_manager.values_list(field.attname, flat=True))
    except Exception:
        return []


class UniqueFaker(adapter.FakerDeclaration):
    """``factory.Faker`` that never repeats a value and keeps it valid for its field.

    ``isbn = UniqueFaker("isbn13")``, ``username = UniqueFaker("user_name")``: each value is
    drawn again until it is valid for the model field (``max_length``, validators), new in
    this run and not already in the table. ``max_length`` adds a limit of its own;
    ``max_tries`` draws in a row without a new valid value raise ``UniqueValuesExhausted``.
    Every draw is a Faker call: for columns of hundreds of thousands of rows a
    ``factory.Sequence`` or ``LazyAttributeSequence`` is cheaper.
    """

    def __init__(
        self,
        provider: str,
        *,
        max_length: int | None = None,
        max_tries: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(provider, **kwargs)
        self.max_length = max_length
        self.max_tries = max_tries
        #: The attribute name in its factory (set when a suite Factory class is made).
        self.field_name: str | None = None

    def bind(self, name: str) -> None:
        """Record the attribute name, so values can be checked against the model field."""
        if self.field_name is None:
            self.field_name = name

    def column(self, session: Any, factory_class: Any) -> UniqueColumn:
        """This declaration's state in ``session`` (one per factory and session)."""
        key = (id(self), factory_class)
        column: UniqueColumn | None = session.uniques.get(key)
        if column is None:
            column = session.uniques[key] = UniqueColumn(self, factory_class)
        return column

    def evaluate(self, instance: Any, step: Any, extra: dict[str, Any]) -> Any:
        from forge_suite.seeding.session import current_session

        column = self.column(current_session(), adapter.step_factory(step))
        for _ in range(self.max_tries):
            value = super().evaluate(instance, step, dict(extra))
            if column.accept(value):
                return value
        raise column.exhausted()

    def draw(self, column: UniqueColumn, faker: Any, kwargs: dict[str, Any], n: int) -> list[Any]:
        """``n`` new valid values from ``faker`` (the bulk path's seeded Faker)."""
        produce = getattr(faker, self.provider)
        accept = column.accept
        tries = range(self.max_tries)
        values: list[Any] = []
        append = values.append
        for _ in range(n):
            for _ in tries:
                value = produce(**kwargs)
                if accept(value):
                    append(value)
                    break
            else:
                raise column.exhausted()
        return values


@functools.cache
def unweighted_faker(locale: str) -> faker_lib.Faker:
    """A Faker for ``locale`` with ``use_weighting=False``, for the bulk path's unique draws.

    Faker weights names by how common they are, which costs a cumulative-weight table per
    draw (``user_name`` about 70 us against 10 us unweighted) and makes repeats, the thing a
    unique column must redraw, more likely. Faker documents ``use_weighting=False`` as its fast
    mode. Providers added to factory_boy's own Faker (``factory.Faker.add_provider``) are not
    here: :func:`unique_faker` falls back to that Faker for them.
    """
    return faker_lib.Faker(locale, use_weighting=False)


def unique_faker(provider: str, locale: str, shared: Any) -> Any:
    """The Faker the bulk path draws ``provider`` from: unweighted, or ``shared`` for a
    provider only factory_boy's Faker has."""
    fast = unweighted_faker(locale)
    return fast if hasattr(fast, provider) else shared
