"""Coalescing of concurrent requests into one batch (one Redis round trip for many sockets).

During a reconnect storm thousands of sockets subscribe or leave within milliseconds. Each
:class:`Coalescer` keeps at most one flush in flight: whatever is submitted while it runs is
flushed together next, so the number of Redis round trips (and pooled connections) stays
small however many sockets arrive at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Coalescer"]

logger = logging.getLogger("forge_suite.realtime")

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """``await coalescer.submit(item)`` returns that item's result from a batched ``flush``.

    ``flush(items)`` returns one result per item, in order. If it raises, every waiter of
    that batch gets the exception (logged once, not once per socket).
    """

    def __init__(self, name: str, flush: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self.name = name
        self._flush = flush
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, item: T) -> R:
        return await self.enqueue(item)

    def enqueue(self, item: T) -> asyncio.Future[R]:
        """Add ``item`` to the next batch; the future holds its result (no task per item)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"forge-realtime-{self.name}")
        return future

    async def drain(self) -> None:
        """Wait until everything submitted so far is flushed."""
        while self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        try:
            while self._pending:
                await asyncio.sleep(0)  # let the sockets of this loop turn join the batch
                batch, self._pending = self._pending, []
                self.batches += 1
                try:
                    results = await self._flush([item for item, _ in batch])
                except Exception as exc:
                    logger.warning(
                        "forge_realtime: %s of %d sockets failed: %s", self.name, len(batch), exc
                    )
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._task = None
