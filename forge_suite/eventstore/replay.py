"""Rebuild a projection from the start into fresh tables, then swap them in.

The live tables keep serving reads (and the live runner keeps updating them) while the copy is
built. The swap runs in one transaction that holds the projection's checkpoint row: it applies
the last events, renames the fresh tables over the live ones and moves the checkpoint, so the
live runner continues from exactly where the rebuild stopped.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator

from django.db import connections, models, transaction
from django.utils import timezone

from forge_suite.eventstore.conf import app_settings
from forge_suite.eventstore.exceptions import ProjectionError
from forge_suite.eventstore.observers import silenced
from forge_suite.eventstore.projections import Projector
from forge_suite.eventstore.store import (
    START,
    Position,
    committed_horizon,
    events_after,
    read_all,
    wait_until_visible,
)

__all__ = ["replay"]

PREFIX = "__rebuild_"


def _set_table(model: type[models.Model], table: str) -> None:
    model._meta.db_table = table
    for field in model._meta.concrete_fields:
        field.__dict__.pop("cached_col", None)  # a column reference caches its table name


@contextlib.contextmanager
def _tables(model_list: list[type[models.Model]], suffix: str) -> Iterator[None]:
    """Point the models at ``<table><suffix>`` in this process for the duration."""
    saved = [(m, m._meta.db_table, m._meta.indexes, m._meta.constraints) for m in model_list]
    try:
        for model, table, _indexes, _constraints in saved:
            _set_table(model, table + suffix)
        yield
    finally:
        for model, table, indexes, constraints in saved:
            _set_table(model, table)
            model._meta.indexes, model._meta.constraints = indexes, constraints


def _create_fresh(model_list: list[type[models.Model]], suffix: str, using: str) -> None:
    connection = connections[using]
    with connection.schema_editor() as editor:
        for model in model_list:
            table = model._meta.db_table
            indexes, constraints = model._meta.indexes, model._meta.constraints
            # Named indexes and constraints are created after the swap: their names are unique
            # per database and the live table holds them meanwhile.
            model._meta.indexes, model._meta.constraints = [], []
            _set_table(model, table + suffix)
            try:
                editor.create_model(model)
            finally:
                _set_table(model, table)
                model._meta.indexes, model._meta.constraints = indexes, constraints


def _swap(model_list: list[type[models.Model]], suffix: str, using: str) -> None:
    # Plain statements, not a schema editor context: this runs inside the swap transaction
    # (SQLite's schema editor refuses to open inside one).
    connection = connections[using]
    editor = connection.schema_editor()
    q = editor.quote_name
    with connection.cursor() as cursor:
        for model in model_list:
            table = model._meta.db_table
            cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(table + '__old')}")
            cursor.execute(f"ALTER TABLE {q(table + suffix)} RENAME TO {q(table)}")
            cursor.execute(f"DROP TABLE {q(table + '__old')}")
            for item in [*model._meta.indexes, *model._meta.constraints]:
                statement = item.create_sql(model, editor)
                if statement is not None:
                    cursor.execute(str(statement))


def replay(
    projector_class: type[Projector],
    *,
    from_position: int = 0,
    using: str = "default",
    progress: Callable[[int], object] | None = None,
    total: Callable[[int], object] | None = None,
    horizon_timeout: float = 300.0,
) -> int:
    """Rebuild ``projector_class`` from the event store; returns the number of events applied.

    ``from_position`` skips events whose global position is below it. Projections without
    ``models`` are reset in place (their ``reset()``) and caught up from the start.
    """
    from forge_suite.eventstore.models import ProjectionCheckpoint

    projector = projector_class()
    model_list = list(projector.models)
    size = projector.batch_size or app_settings.READ_BATCH
    types = projector.handled_types() or None
    if total is not None:
        total(events_after(START, using))
    # A new name each time: index names derive from the table name and must not collide with
    # those of the live table (itself a former rebuild).
    suffix = PREFIX + secrets.token_hex(4)
    if model_list:
        _create_fresh(model_list, suffix, using)
    else:
        with transaction.atomic(using=using):
            ProjectionCheckpoint.objects.using(using).update_or_create(
                name=projector.name,
                defaults={"transaction_id": 0, "position": 0, "events_processed": 0},
            )
            projector.reset()
        from forge_suite.eventstore.projections import catch_up

        return catch_up(projector, using=using, progress=progress)

    position, applied = START, 0
    # Everything committed before the rebuild started must be in the copy before it is swapped
    # in; a transaction elsewhere on the server can delay its visibility (never skip it).
    horizon = committed_horizon(using)

    def run_batches(one: bool = False) -> bool:
        """Apply readable batches (or ``one``) to the fresh tables; True if any was applied."""
        nonlocal position, applied
        any_applied = False
        while not (one and any_applied):
            events = read_all(position, size, types=types, using=using)
            if not events:
                break
            with silenced():  # a rebuild must not call webhooks or observers again
                for event in events:
                    if event.position < from_position:
                        continue
                    try:
                        projector.handle(event)
                    except Exception as exc:
                        raise ProjectionError(
                            f"replay of {projector.name!r} failed on event {event.position}: {exc}"
                        ) from exc
            position = Position(events[-1].transaction_id, events[-1].position)
            applied += len(events)
            any_applied = True
            if progress:
                progress(len(events))
        return any_applied

    try:
        with _tables(model_list, suffix):
            while True:
                # One transaction per batch: a long one would hold back the xmin horizon that
                # every global-order reader of the server waits for.
                with transaction.atomic(using=using):
                    if run_batches(one=True):
                        continue
                if position.transaction_id >= horizon:
                    break
                if not wait_until_visible(horizon, horizon_timeout, using):
                    raise ProjectionError(
                        f"replay of {projector.name!r} stopped: events committed before it "
                        f"started were not readable after {horizon_timeout}s (a long "
                        "transaction on the server holds the xmin horizon back)"
                    )
        with transaction.atomic(using=using):
            row, _ = (
                ProjectionCheckpoint.objects.using(using)
                .select_for_update()
                .get_or_create(name=projector.name)
            )
            with _tables(model_list, suffix):
                run_batches()
            _swap(model_list, suffix, using)
            row.transaction_id, row.position = position
            row.events_processed = applied
            row.last_error = ""
            row.updated_at = timezone.now()
            row.save()
    except Exception:
        with connections[using].schema_editor() as editor:
            for model in model_list:
                editor.execute(
                    f"DROP TABLE IF EXISTS {editor.quote_name(model._meta.db_table + suffix)}"
                )
        raise
    return applied
