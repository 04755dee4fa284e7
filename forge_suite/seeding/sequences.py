"""Where a factory's sequence starts: after the values already in the table.

A factory_boy sequence starts at 0 in every process, so a second run would produce
``SKU-000000`` again. Starting at the row count is not enough either: delete one of 60 seeded
products and the next run starts at 59, which is still taken. So, for each column a
``factory.Sequence`` fills, the sequence's format is learnt by probing the function
(``f"SKU-{n:06d}"`` -> prefix ``SKU-``, digits, no suffix) and the highest number already
stored in that column is read from the database; the sequence continues after it.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.db.models.functions import Length

from forge_suite.seeding import adapter

__all__ = ["next_sequence", "sequence_format"]

_PROBES = (987654321, 123456789)


def sequence_format(function: Any) -> tuple[str, str] | int | None:
    """How ``function(n)`` renders ``n``: (prefix, suffix) for text, an offset for integers.

    None when the output is not the number with a fixed text or offset around it.
    """
    try:
        first, second = (function(n) for n in _PROBES)
    except Exception:
        return None
    if isinstance(first, int) and not isinstance(first, bool) and isinstance(second, int):
        offset = first - _PROBES[0]
        return offset if second - _PROBES[1] == offset else None
    if not isinstance(first, str) or not isinstance(second, str):
        return None
    digits = str(_PROBES[0])
    if first.count(digits) != 1:
        return None
    prefix, _, suffix = first.partition(digits)
    return (prefix, suffix) if second == f"{prefix}{_PROBES[1]}{suffix}" else None


def next_sequence(factory_class: Any) -> int:
    """The first sequence number after the table's rows and the highest stored value.

    0 without a database (``build()`` in unit tests) or before the table exists.
    """
    model = adapter.model_of(factory_class)
    try:
        manager = model._default_manager
        start = int(manager.count())
        renames = adapter.renames(factory_class)
        for name, declaration in adapter.declarations(factory_class).items():
            highest = _highest(manager, model, renames.get(name, name), declaration)
            if highest is not None:
                start = max(start, highest + 1)
        return start
    except Exception:  # no table yet, or no database access
        return 0


def _highest(manager: Any, model: type[models.Model], name: str, declaration: Any) -> int | None:
    """The highest sequence number stored in the column ``declaration`` fills, if it can tell."""
    if not adapter.is_plain_sequence(declaration):
        return None
    try:
        field = model._meta.get_field(name)
    except Exception:
        return None
    if not isinstance(field, models.Field) or field.is_relation:
        return None
    found = sequence_format(adapter.function_of(declaration))
    if found is None:
        return None
    column = field.name
    if isinstance(found, int):
        if not isinstance(field, models.IntegerField):
            return None
        top = manager.aggregate(top=models.Max(column))["top"]
        return None if top is None else int(top) - found
    prefix, suffix = found
    pattern = f"^{re.escape(prefix)}[0-9]+{re.escape(suffix)}$"
    # Same prefix and suffix, digits between: the longest value, then the greatest, is the
    # highest number.
    value = (
        manager.filter(**{f"{column}__regex": pattern})
        .order_by(Length(column).desc(), f"-{column}")
        .values_list(column, flat=True)
        .first()
    )
    if value is None:
        return None
    return int(value[len(prefix) : len(value) - len(suffix)])
