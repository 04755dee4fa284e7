"""The append-only event store: optimistic-concurrency appends, stream and global-order reads.

Global order on PostgreSQL (the sequence-gap problem): positions come from a sequence that is
taken at INSERT time but becomes visible at COMMIT, so a reader that pages by ``id > last``
could skip a transaction that commits late. Each append stores its transaction id
(``pg_current_xact_id()``) and readers only return rows whose transaction id is below the
``xmin`` of ``pg_current_snapshot()``: every transaction below it has finished, so nothing new
can appear behind the reader's checkpoint, which is the ``(transaction_id, position)`` pair.
Writers never wait for each other (unlike a table lock). On SQLite a single writer holds the
database lock from its first write to commit, so positions are issued in commit order already.
"""

from __future__ import annotations

import datetime
import enum
import json
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.utils import timezone

from forge_suite.core.metrics import metrics
from forge_suite.eventstore import signals
from forge_suite.eventstore.conf import app_settings
from forge_suite.eventstore.events import (
    _EVENT_TYPES,
    Event,
    RecordedEvent,
    metadata_factory,
    upcast,
)
from forge_suite.eventstore.exceptions import ConcurrencyError, EventStoreError

__all__ = [
    "ANY",
    "NO_STREAM",
    "NewEvent",
    "Position",
    "append",
    "head",
    "read_all",
    "read_stream",
    "stream_version",
]


class ExpectedVersion(enum.Enum):
    """Expected versions that are not a number."""

    ANY = "any version"
    NO_STREAM = "no stream"

    def __str__(self) -> str:
        return self.value


#: Append whatever the stream's version is.
ANY = ExpectedVersion.ANY
#: Append only if the stream has no events yet.
NO_STREAM = ExpectedVersion.NO_STREAM


@dataclass(frozen=True)
class NewEvent:
    """An event given by type name and data, for code that has no Event class."""

    type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    metadata: Mapping[str, Any] | None = None


class Position(NamedTuple):
    """A place in the global order: the (transaction id, position) pair readers resume from."""

    transaction_id: int = 0
    position: int = 0


START = Position(0, 0)
_COLUMNS = (
    "id, transaction_id, event_id, stream_id, version, type, schema_version, data, metadata, "
    "recorded_at"
)
# On PostgreSQL the time travels as integer microseconds: Django's timestamptz loader is
# written in Python and would dominate the cost of a replay.
# The JSON columns travel as text too, decoded by RecordedEvent when first read.
_PG_COLUMNS = _COLUMNS.replace(
    "recorded_at", "(EXTRACT(EPOCH FROM recorded_at) * 1000000)::bigint"
).replace("data, metadata,", "data::text, metadata::text,")


def _columns(connection: Any) -> str:
    return _PG_COLUMNS if connection.vendor == "postgresql" else _COLUMNS


_ANY_RETRIES = 5


def _table() -> str:
    from forge_suite.eventstore.models import StoredEvent

    return StoredEvent._meta.db_table


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":"))


def _normalise(event: Event | NewEvent) -> tuple[str, int, Mapping[str, Any], Mapping[str, Any]]:
    if isinstance(event, Event):
        return event.event_type, event.schema_version, event.to_data(), {}
    if isinstance(event, NewEvent):
        return event.type, event.schema_version, event.data, event.metadata or {}
    raise TypeError(f"append() takes Event or NewEvent objects, not {type(event).__name__}")


def stream_version(stream_id: str, using: str = "default") -> int:
    """The version of the stream's last event (0 when the stream has none)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(MAX(version), 0) FROM {_table()} WHERE stream_id = %s", [stream_id]
        )
        return int(cursor.fetchone()[0])


def append(
    stream_id: str,
    events: Sequence[Event | NewEvent],
    expected_version: int | ExpectedVersion = ANY,
    *,
    metadata: Mapping[str, Any] | None = None,
    using: str = "default",
) -> list[RecordedEvent]:
    """Append ``events`` to ``stream_id`` atomically and return them as recorded.

    ``expected_version`` is ``ANY``, ``NO_STREAM`` or the version the caller last saw; any
    other version raises :class:`ConcurrencyError` and appends nothing. Inside an outer
    ``transaction.atomic`` the events commit with it (a failed append rolls back only itself).
    """
    if not events:
        return []
    if not stream_id or len(stream_id) > 255:
        raise EventStoreError("stream_id must be a non-empty string of at most 255 characters")
    if isinstance(expected_version, int) and (
        isinstance(expected_version, bool) or expected_version < 0
    ):
        raise EventStoreError(f"expected_version must be 0 or more, not {expected_version!r}")
    attempts = _ANY_RETRIES if expected_version is ANY else 1
    connection = connections[using]
    # On PostgreSQL the append is one statement: outside a transaction it runs as its own
    # (implicit) transaction, saving the BEGIN and COMMIT round trips.
    single = connection.vendor == "postgresql" and not connection.in_atomic_block
    for attempt in range(attempts):
        try:
            if single:
                recorded = _append_once(stream_id, events, expected_version, metadata, using)
            else:
                with transaction.atomic(using=using):
                    recorded = _append_once(stream_id, events, expected_version, metadata, using)
        except IntegrityError as exc:
            if attempt + 1 < attempts:
                continue
            raise ConcurrencyError(
                stream_id, expected_version, stream_version(stream_id, using)
            ) from exc
        break
    signals.events_appended.send(sender=RecordedEvent, stream_id=stream_id, events=recorded)
    _record_metrics(recorded)
    return recorded


def _append_once(
    stream_id: str,
    events: Sequence[Event | NewEvent],
    expected: int | ExpectedVersion,
    metadata: Mapping[str, Any] | None,
    using: str,
) -> list[RecordedEvent]:
    connection = connections[using]
    now = timezone.now()
    make_meta = metadata_factory(metadata)
    rows = []
    for event in events:
        type_name, schema_version, data, extra = _normalise(event)
        event_id = uuid.uuid4()
        meta = make_meta(event_id)
        if extra:
            meta.update(extra)
        rows.append((event_id, type_name, schema_version, data, meta))
    check = expected if isinstance(expected, int) else (0 if expected is NO_STREAM else None)
    if connection.vendor == "postgresql":
        ids = _insert_postgres(connection, stream_id, rows, check, now)
    else:
        ids = _insert_generic(connection, stream_id, rows, check, now)
    if not ids:
        raise ConcurrencyError(stream_id, expected, stream_version(stream_id, using))
    return [
        RecordedEvent(
            position=int(pos),
            transaction_id=int(txid),
            event_id=event_id,
            stream_id=stream_id,
            version=int(version),
            type=type_name,
            schema_version=schema_version,
            data=dict(data),
            metadata=meta,
            recorded_at=now,
        )
        for (pos, txid, version), (event_id, type_name, schema_version, data, meta) in zip(
            ids, rows, strict=True
        )
    ]


def _insert_postgres(
    connection: Any, stream_id: str, rows: list[Any], check: int | None, now: datetime.datetime
) -> list[tuple[int, int, int]]:
    """One statement: read the stream version, check it and insert.

    The batch travels as one JSON document (cheaper to bind than one array per column).
    """
    table = _table()
    document = _dumps(
        [
            {"n": n, "e": str(r[0]), "t": r[1], "s": r[2], "d": r[3], "m": r[4]}
            for n, r in enumerate(rows, start=1)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH cur AS (SELECT COALESCE(MAX(version), 0) AS v FROM {table} "
            "WHERE stream_id = %s), "
            f"ins AS (INSERT INTO {table} (event_id, stream_id, version, type, schema_version, "
            "data, metadata, recorded_at, transaction_id) "
            "SELECT u.e, %s, cur.v + u.n, u.t, u.s, u.d, u.m, %s, "
            "pg_current_xact_id()::text::bigint "
            "FROM cur, jsonb_to_recordset(%s::jsonb) "
            "AS u(n int, e uuid, t text, s int, d jsonb, m jsonb) "
            "WHERE %s::int IS NULL OR cur.v = %s::int ORDER BY u.n "
            "RETURNING id, transaction_id, version) "
            "SELECT id, transaction_id, version FROM ins ORDER BY version",
            [stream_id, stream_id, now, document, check, check],
        )
        ids = [(r[0], r[1], r[2]) for r in cursor.fetchall()]
    if ids and app_settings.NOTIFY:
        transaction.on_commit(lambda: _notify(connection), using=connection.alias)
    return ids


_last_notify: dict[str, float] = {}


def _notify(connection: Any) -> None:
    """Wake live readers, after the commit and in a transaction of its own.

    A transaction that NOTIFYs takes a database-wide lock until its commit is flushed, which
    would serialise the writers' commits like a table lock; this one does not wait for the
    flush (``synchronous_commit`` off: a lost wake-up only means the next poll finds the events).
    """
    now = time.monotonic()
    if now - _last_notify.get(connection.alias, -1e9) < float(app_settings.NOTIFY_INTERVAL):
        return
    _last_notify[connection.alias] = now
    try:
        with connection.cursor() as cursor:
            # One round trip; set_config(..., true) lasts until this statement's own commit.
            cursor.execute(
                "SELECT set_config('synchronous_commit', 'off', true), pg_notify(%s, '')",
                [app_settings.NOTIFY_CHANNEL],
            )
    except DatabaseError:  # a wake-up hint only: the readers poll as well
        pass


def _insert_generic(
    connection: Any, stream_id: str, rows: list[Any], check: int | None, now: datetime.datetime
) -> list[tuple[int, int, int]]:
    """SQLite (one writer at a time holds the database lock, so this check cannot race)."""
    table = _table()
    current = stream_version(stream_id, connection.alias)
    if check is not None and current != check:
        return []
    ids = []
    with connection.cursor() as cursor:
        for offset, (event_id, type_name, schema_version, data, meta) in enumerate(rows, 1):
            cursor.execute(
                f"INSERT INTO {table} (event_id, stream_id, version, type, schema_version, "
                "data, metadata, recorded_at, transaction_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0)",
                [
                    event_id.hex,
                    stream_id,
                    current + offset,
                    type_name,
                    schema_version,
                    _dumps(data),
                    _dumps(meta),
                    connection.ops.adapt_datetimefield_value(now),
                ],
            )
            ids.append((cursor.lastrowid, 0, current + offset))
    return ids


def _record_metrics(recorded: list[RecordedEvent]) -> None:
    record = metrics().record_event_appended
    for event in recorded:
        record(event.type)


def _rows(connection: Any, rows: Sequence[Sequence[Any]]) -> list[RecordedEvent]:
    """Build RecordedEvents from rows; the hot loop of every replay, so kept lean: the JSON
    and the time are decoded only when read (or now, when an upcaster needs the data)."""
    loads, registered = json.loads, _EVENT_TYPES
    out: list[RecordedEvent] = []
    append_ = out.append
    for pos, txid, event_id, stream_id, version, type_name, schema, data, meta, at in rows:
        cls = registered.get(type_name)
        if cls is not None and cls.schema_version != schema:
            if data.__class__ is str:
                data = loads(data)
            schema, data = upcast(type_name, schema, data)
        if event_id.__class__ is not uuid.UUID:
            event_id = uuid.UUID(str(event_id))
        append_(
            RecordedEvent(
                pos, txid, event_id, stream_id, version, type_name, schema, data, meta, at
            )
        )
    return out


def read_stream(
    stream_id: str, from_version: int = 1, to_version: int | None = None, using: str = "default"
) -> list[RecordedEvent]:
    """The events of one stream in version order, from ``from_version`` (inclusive)."""
    connection = connections[using]
    sql = f"SELECT {_columns(connection)} FROM {_table()} WHERE stream_id = %s AND version >= %s"
    params: list[Any] = [stream_id, from_version]
    if to_version is not None:
        sql += " AND version <= %s"
        params.append(to_version)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY version", params)
        return _rows(connection, cursor.fetchall())


def _after_clause(connection: Any) -> str:
    # A row comparison walks the (transaction_id, id) index on PostgreSQL; the OR form is portable.
    if connection.vendor == "postgresql":
        return "(transaction_id, id) > (%s, %s)"
    return "(transaction_id > %s OR (transaction_id = %s AND id > %s))"


def _after_params(connection: Any, tx: int, pos: int) -> list[Any]:
    return [tx, pos] if connection.vendor == "postgresql" else [tx, tx, pos]


def _visible_clause(connection: Any) -> str:
    if connection.vendor == "postgresql":
        return "transaction_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint AND "
    return ""


def read_all(
    after: Position | tuple[int, int] = START,
    limit: int = 1000,
    *,
    types: Sequence[str] | None = None,
    using: str = "default",
) -> list[RecordedEvent]:
    """Up to ``limit`` events of the global order after ``after``, never skipping a late commit.

    Resume from the last event's ``Position(event.transaction_id, event.position)``. Run it in
    autocommit mode or a read-only transaction: a transaction that holds a transaction id
    hides everything newer than itself until it ends.
    """
    connection = connections[using]
    tx, pos = after
    sql = (
        f"SELECT {_columns(connection)} FROM {_table()} WHERE {_visible_clause(connection)}"
        f"{_after_clause(connection)}"
    )
    params: list[Any] = _after_params(connection, tx, pos)
    if types is not None:
        sql += f" AND type IN ({', '.join(['%s'] * len(types))})" if types else " AND 1 = 0"
        params.extend(types)
    sql += " ORDER BY transaction_id, id LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _rows(connection, cursor.fetchall())


def iter_all(
    after: Position | tuple[int, int] = START,
    *,
    batch: int | None = None,
    types: Sequence[str] | None = None,
    using: str = "default",
) -> Iterator[RecordedEvent]:
    """Every event readable now after ``after``, in global order, read in batches."""
    size = batch or app_settings.READ_BATCH
    cursor_pos = Position(*after)
    while True:
        events = read_all(cursor_pos, size, types=types, using=using)
        yield from events
        if len(events) < size:
            return
        cursor_pos = Position(events[-1].transaction_id, events[-1].position)


def head(using: str = "default") -> Position:
    """The position of the last event a global-order reader can see now."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT transaction_id, id FROM {_table()} WHERE {_visible_clause(connection)} 1 = 1 "
            "ORDER BY transaction_id DESC, id DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return Position(int(row[0]), int(row[1])) if row else START


def events_after(
    position: Position | tuple[int, int], using: str = "default", cap: int = 1_000_000
) -> int:
    """How many readable events follow ``position`` (counted up to ``cap``): a projection's lag."""
    connection = connections[using]
    tx, pos = position
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {_table()} WHERE {_visible_clause(connection)}"
            f"{_after_clause(connection)} LIMIT %s) AS lag",
            [*_after_params(connection, tx, pos), cap],
        )
        return int(cursor.fetchone()[0])


def committed_horizon(using: str = "default") -> int:
    """The highest transaction id among committed events (what a reader must reach)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(transaction_id), 0) FROM {_table()}")
        return int(cursor.fetchone()[0])


def wait_until_visible(transaction_id: int, timeout: float = 30.0, using: str = "default") -> bool:
    """Wait until events of ``transaction_id`` and older are readable; False on timeout.

    On PostgreSQL that is when every transaction of the server up to it has ended. Call it in
    autocommit mode (a transaction of one's own would hold the horizon back).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return True
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT %s < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
                [transaction_id],
            )
            if cursor.fetchone()[0]:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
