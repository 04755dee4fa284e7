"""The SHA-256 of a tus upload computed while its bytes arrive, so that a finished upload
needs no second pass over its data (which on S3 means reading the whole object back).

A hash object cannot be stored in the database, so the running digests live in the process
that received the bytes: a bounded cache beside the ``TusUpload`` row, never the record of
anything. A digest is used only when it has seen exactly the bytes the row says were kept
(``offset``); an upload whose PATCHes were served by several processes, or that resumed
after a restart, gets its digest from one pass over the finished data, as before.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from typing import Any

__all__ = ["RunningDigests", "running"]


class RunningDigests:
    """``upload id -> (bytes seen, sha256 object)``, the ``size`` most recent uploads."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._items: OrderedDict[uuid.UUID, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, upload_id: uuid.UUID, offset: int) -> Any:
        """The digest of the first ``offset`` bytes of the upload, removed from the cache
        (so two requests never feed one digest), or None when this process has none."""
        if offset == 0:
            with self._lock:
                self._items.pop(upload_id, None)
            return hashlib.sha256()
        with self._lock:
            item = self._items.pop(upload_id, None)
        if item is None or item[0] != offset:
            return None
        return item[1]

    def put(self, upload_id: uuid.UUID, offset: int, digest: Any) -> None:
        """Keep ``digest`` as the hash of the first ``offset`` bytes (after they are recorded)."""
        with self._lock:
            self._items[upload_id] = (offset, digest)
            self._items.move_to_end(upload_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def forget(self, upload_id: uuid.UUID) -> None:
        with self._lock:
            self._items.pop(upload_id, None)

    def __len__(self) -> int:
        return len(self._items)


running = RunningDigests()
