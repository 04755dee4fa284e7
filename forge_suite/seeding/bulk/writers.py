"""Fast batch writers for the bulk path, used instead of ``bulk_create`` where they apply.

Django's ``bulk_create`` compiles every value through the SQL compiler and sends one huge
``INSERT ... VALUES`` per batch: measured here, that is most of the cost of seeding. These
writers send the same rows with the backend's fastest bulk interface and still hand back the
primary keys that children need:

- PostgreSQL (psycopg 3): keys reserved with ``nextval()`` on the column's own sequence, then
  the rows streamed with ``COPY ... FROM STDIN``.
- SQLite: the first row is inserted normally (taking the write lock and giving its rowid),
  the rest go through one prepared ``executemany`` with the following keys.

:func:`insert_objects` picks one per model and database, or falls back to ``bulk_create``.
Anything they do not cover (other backends, multi-table inheritance, non-integer or custom
keys, database defaults, fields with custom placeholders) keeps using ``bulk_create``.
Like ``bulk_create``, they call no ``save()`` and send no signals.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.models import Max

from forge_suite.seeding.exceptions import BulkError

__all__ = ["copy_insert", "fast_writer_for", "insert_objects", "sqlite_insert"]

Writer = Callable[[type[models.Model], list[Any], Any], None]

#: Field types whose Python values the drivers take as they are (no get_db_prep_save).
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)
#: Extra plain types for psycopg, which adapts them natively.
_PLAIN_POSTGRES = (*_PLAIN, models.DecimalField, models.FloatField, models.DateTimeField)


def fast_writer_for(model: type[models.Model], connection: Any) -> Writer | None:
    """The fast writer for ``model`` on ``connection``, or None to use ``bulk_create``."""
    opts = model._meta
    simple = (
        not opts.parents
        and isinstance(opts.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
        and all(
            f.db_default is models.NOT_PROVIDED and getattr(f, "get_placeholder", None) is None
            for f in opts.concrete_fields
        )
    )
    if not simple:
        return None
    if connection.vendor == "postgresql" and _is_psycopg3(connection):
        return copy_insert
    if connection.vendor == "sqlite":
        return sqlite_insert
    return None


def _is_psycopg3(connection: Any) -> bool:
    return getattr(connection.Database, "__name__", "") == "psycopg"


def _sqlite_datetime(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` for a plain ``DateTimeField`` on SQLite, fast for the usual
    value (an aware datetime with ``USE_TZ``): what Django's SQLite adapter does, ``str()`` of
    the value made naive in the connection's time zone, without the per-value checks (a third
    of a bulk row's cost otherwise). Anything else goes through Django.
    """
    slow = field.get_db_prep_save
    zone = connection.timezone if settings.USE_TZ else None
    plain_datetime = datetime.datetime

    def convert(value: Any) -> Any:
        if zone is not None and type(value) is plain_datetime and value.tzinfo is not None:
            return str(value.astimezone(zone).replace(tzinfo=None))
        return slow(value, connection)

    return convert


def _row_builder(
    model: type[models.Model], connection: Any, plain_types: tuple[type, ...]
) -> tuple[list[models.Field[Any, Any]], Callable[[Any], list[Any]]]:
    """Concrete fields and a function turning an instance into database-ready values."""
    fields = list(model._meta.concrete_fields)
    getters: list[tuple[models.Field[Any, Any], str, bool, bool, Callable[[Any], Any]]] = []
    for field in fields:
        # pre_save matters for auto_now/auto_now_add and custom fields; a plain DateField
        # without them just returns the attribute.
        custom_pre_save = type(field).pre_save is not models.Field.pre_save and not (
            isinstance(field, models.DateField)
            and not getattr(field, "auto_now", False)
            and not getattr(field, "auto_now_add", False)
        )
        plain = isinstance(field, plain_types) and not custom_pre_save
        if connection.vendor == "sqlite" and type(field) is models.DateTimeField:
            prepare = _sqlite_datetime(field, connection)
        else:
            prepare = functools.partial(field.get_db_prep_save, connection=connection)
        getters.append((field, field.attname, plain, custom_pre_save, prepare))

    def build(obj: Any) -> list[Any]:
        values = obj.__dict__
        row = []
        for field, attname, plain, custom_pre_save, prepare in getters:
            value = field.pre_save(obj, add=True) if custom_pre_save else values[attname]
            if not plain and value is not None:
                value = prepare(value)
            row.append(value)
        return row

    return fields, build


def _mark_saved(objects: list[Any], alias: str) -> None:
    for obj in objects:
        obj._state.adding = False
        obj._state.db = alias


def copy_insert(model: type[models.Model], objects: list[Any], connection: Any) -> None:
    """PostgreSQL: reserve keys from the table's sequence, then stream the rows with COPY.

    ``nextval()`` hands out real, unique keys (the sequence moves past them even if the
    transaction rolls back, like any insert), so the rows and their children are consistent.
    """
    opts = model._meta
    qn = connection.ops.quote_name
    pk = opts.pk
    assert pk is not None
    fields, build = _row_builder(model, connection, _PLAIN_POSTGRES)
    with connection.cursor() as cursor:
        if objects[0].pk is None:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [qn(opts.db_table), pk.column, len(objects)],
            )
            for obj, (key,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = key
        columns = ", ".join(qn(f.column) for f in fields)
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        # The raw cursor bypasses Django's error translation: without this a duplicate key
        # surfaces as psycopg's UniqueViolation instead of django.db.IntegrityError.
        with (
            connection.wrap_database_errors,
            raw.copy(f"COPY {qn(opts.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            write_row = copy.write_row
            for obj in objects:
                write_row(build(obj))
    _mark_saved(objects, connection.alias)


def sqlite_insert(model: type[models.Model], objects: list[Any], connection: Any) -> None:
    """SQLite: one normal INSERT for the first row, one prepared executemany for the rest.

    The first INSERT takes SQLite's write lock for the transaction, so no other writer can
    interleave; its rowid is the first key and the following rows take the next ones.
    """
    opts = model._meta
    qn = connection.ops.quote_name
    pk = opts.pk
    assert pk is not None
    fields, build = _row_builder(model, connection, _PLAIN)
    rows = [build(obj) for obj in objects]
    table = qn(opts.db_table)
    needs_keys = objects[0].pk is None
    if needs_keys:
        pk_index = fields.index(pk)
        others = [f for f in fields if f is not pk]
        first = rows[0][:pk_index] + rows[0][pk_index + 1 :]
        sql = (
            f"INSERT INTO {table} ({', '.join(qn(f.column) for f in others)}) "
            f"VALUES ({', '.join(['%s'] * len(others))})"
        )
    placeholders = ", ".join(["?"] * len(fields))
    bulk_sql = (
        f"INSERT INTO {table} ({', '.join(qn(f.column) for f in fields)}) VALUES ({placeholders})"
    )
    with connection.cursor() as cursor:
        if needs_keys:
            cursor.execute(sql, first)
            start = cursor.lastrowid
            for offset, (obj, row) in enumerate(zip(objects, rows, strict=True)):
                obj.pk = row[pk_index] = start + offset
            rest = rows[1:]
        else:
            rest = rows
        if rest:
            with connection.wrap_database_errors:  # sqlite3's errors -> Django's
                cursor.cursor.executemany(bulk_sql, rest)  # sqlite3 cursor: "?" placeholders
    _mark_saved(objects, connection.alias)


_WRITERS: dict[tuple[type[models.Model], str], Writer | None] = {}


def insert_objects(model: type[models.Model], objects: list[Any], using: str) -> None:
    """Insert unsaved instances and set their primary keys.

    The fast writer when it applies and ``FAST_WRITER`` is on, else ``bulk_create``, with a
    key-recovery fallback for backends that do not return keys from a bulk insert.
    """
    from forge_suite.seeding.conf import app_settings

    if not objects:
        return
    connection = connections[using]
    if app_settings.FAST_WRITER:
        key = (model, using)
        if key not in _WRITERS:
            _WRITERS[key] = fast_writer_for(model, connection)
        writer = _WRITERS[key]
        if writer is not None:
            writer(model, objects, connection)
            return
    manager = model._base_manager.db_manager(using)
    pk = model._meta.pk
    fetch = (
        objects[0].pk is None
        and not connection.features.can_return_rows_from_bulk_insert
        and isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    )
    if not fetch:
        manager.bulk_create(objects)
        return
    # Older SQLite (< 3.35) and some MySQL setups do not return keys from a bulk INSERT.
    # Inside this transaction (SQLite serialises writers) one multi-row INSERT takes
    # consecutive keys above the current maximum, in order.
    before = manager.aggregate(top=Max("pk"))["top"] or 0
    manager.bulk_create(objects)
    keys = list(
        manager.filter(pk__gt=before)
        .order_by("pk")
        .values_list("pk", flat=True)[: len(objects) + 1]
    )
    if len(keys) != len(objects):
        raise BulkError(
            f"could not recover the primary keys of {len(objects)} {model._meta.label} rows "
            f"(found {len(keys)}): another writer inserted rows concurrently"
        )
    for obj, key in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
