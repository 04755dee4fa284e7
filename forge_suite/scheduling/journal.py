"""A local journal of finished runs, so a ``kill -9`` loses no history row.

A worker process buffers history rows and writes them to the database in batches (one INSERT
per job costs a database round trip in the job's critical path). Before the job returns -
before the worker acknowledges its message - the finished row is also appended to a file of
this process (one ``write()`` system call; no fsync). A process killed with SIGKILL leaves the
file in the operating system's cache, and the next worker on the same machine (at start and
with every heartbeat) replays the files of dead processes into the database, idempotently.

Files rotate at each batch: ``<pid>-<token>.jsonl`` is renamed before its rows are written and
deleted after; a batch the database refused is renamed ``orphan-*.jsonl`` and replayed by the
next heartbeat. Only a crash of the whole machine (or a lost disk) can lose rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from forge_suite.scheduling.conf import app_settings

__all__ = ["Journal", "journal_dir", "replay_journals"]

logger = logging.getLogger("forge_suite.scheduling.journal")

Key = tuple[str, int]


def journal_dir() -> Path:
    """``HISTORY_JOURNAL_DIR``, or a directory of the temp dir named after the database."""
    configured = app_settings.HISTORY_JOURNAL_DIR
    if configured:
        return Path(configured)
    db = settings.DATABASES.get("default", {})
    ident = f"{db.get('ENGINE')}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"forge-scheduling-journal-{digest}"


def _encode(value: Any) -> Any:
    """``json.dumps`` default: datetimes as ``{"$dt": iso}``, anything else as text."""
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    return str(value)


#: One encoder for every line (``json.dumps(..., default=...)`` builds a new one per call).
_ENCODER = json.JSONEncoder(default=_encode, separators=(",", ":"))


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$dt" in value:
        return dt.datetime.fromisoformat(value["$dt"])
    return value


class Journal:
    """The journal file of this process."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._path: Path | None = None
        self._pid: int | None = None
        self._batch = 0

    def _open(self) -> int:
        pid = os.getpid()
        if self._fd is None or self._pid != pid:
            directory = journal_dir()
            directory.mkdir(parents=True, exist_ok=True)
            self._pid = pid
            self._path = directory / f"{pid}-{uuid.uuid4().hex[:8]}.jsonl"
            self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return self._fd

    def append(self, kind: str, key: Key, fields: dict[str, Any]) -> None:
        """Record a finished run: ``row`` (every field) or ``end`` (an update of a start)."""
        record = [kind, key[0], key[1], fields]
        os.write(self._open(), (_ENCODER.encode(record) + "\n").encode())

    def rotate(self) -> Path | None:
        """Close the current file and return it (renamed) for the batch being written."""
        if self._fd is None or self._path is None or self._pid != os.getpid():
            return None
        os.close(self._fd)
        self._batch += 1
        batch = self._path.with_name(f"{self._path.stem}.{self._batch}.batch")
        os.replace(self._path, batch)
        self._fd = None
        return batch

    @staticmethod
    def finish(batch: Path | None, written: bool) -> None:
        """Delete a batch's file once written; keep it as an orphan for replay otherwise."""
        if batch is None:
            return
        if written:
            batch.unlink(missing_ok=True)
        else:
            os.replace(batch, batch.with_name(f"orphan-{uuid.uuid4().hex}.jsonl"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _replayable(path: Path) -> bool:
    if path.name.startswith("orphan-"):
        return True
    head = path.name.split("-", 1)[0]
    return head.isdigit() and not _pid_alive(int(head))


def _apply(kind: str, key: Key, fields: dict[str, Any]) -> None:
    from forge_suite.scheduling.models import JobRun

    task_id, attempt = key
    rows = JobRun.objects.filter(task_id=task_id, attempt=attempt)
    if kind == "end" or rows.exists():
        values = {k: v for k, v in fields.items() if k not in {"task_id", "attempt"}}
        rows.update(**values)
    else:
        JobRun.objects.create(**fields)


def replay_journals() -> int:
    """Write the rows journaled by dead processes on this machine; return how many."""
    directory = journal_dir()
    if not directory.is_dir():
        return 0
    replayed = 0
    for path in sorted(directory.iterdir()):
        if not path.is_file() or not _replayable(path):
            continue
        try:
            lines = path.read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                kind, task_id, attempt, raw = json.loads(line)
            except ValueError:
                continue  # a line cut by the kill: its job's message was not acknowledged
            _apply(kind, (task_id, int(attempt)), {k: _decode(v) for k, v in raw.items()})
            replayed += 1
        path.unlink(missing_ok=True)
    if replayed:
        logger.warning("replayed %s job history row(s) of killed worker processes", replayed)
    return replayed
