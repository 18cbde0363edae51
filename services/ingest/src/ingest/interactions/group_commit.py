"""Group commit: concurrent submissions share one transaction, so a spike costs few commits.

Each submission waits at most `window_seconds` for company (or until `max_items` are queued),
then one transaction stores the whole group and every submitter gets its own results once that
transaction committed: acknowledged means durable, as with a transaction of its own. At most
`max_writes` groups are written at once; while they are, the next group keeps filling, so the
busier the service, the larger its transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.logging import get_logger
from ingest.interactions import service
from ingest.interactions.interaction import Interaction
from ingest.interactions.schemas import InteractionAccepted

log = get_logger(__name__)


@dataclass
class _Submission:
    batch: service.Batch
    done: asyncio.Future[list[InteractionAccepted]]


class GroupCommitter:
    """Stores interactions like `service.accept`, batching concurrent callers."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        window_seconds: float = 0.002,
        max_items: int = 2000,
        max_writes: int = 2,
    ) -> None:
        self.engine = engine
        self.window_seconds = window_seconds
        self.max_items = max_items
        self._write_slots = asyncio.Semaphore(max_writes)
        self._queue: list[_Submission] = []
        self._queued_items = 0
        self._full = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()

    async def accept(
        self, *, tenant_id: str, items: Sequence[Interaction]
    ) -> list[InteractionAccepted]:
        """Results in the order of `items`, once the group holding them is committed."""
        batch = service.prepare(tenant_id, items)  # here, so its events carry this caller's trace
        done: asyncio.Future[list[InteractionAccepted]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Submission(batch, done))
        self._queued_items += len(items)
        if self._queued_items >= self.max_items:
            self._full.set()
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_after_window())
        return await done

    async def close(self) -> None:
        """Write what is queued and wait for writes in flight."""
        self._full.set()
        if self._flusher is not None:
            await self._flusher
        await asyncio.gather(*self._writes, return_exceptions=True)

    async def _flush_after_window(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._full.wait(), self.window_seconds)
        async with self._write_slots:
            group, self._queue, self._queued_items = self._queue, [], 0
            self._full.clear()
            # Later submissions open the next window while this group is written.
            self._flusher = None
            write = asyncio.create_task(self._write(group))
            self._writes.add(write)
            write.add_done_callback(self._writes.discard)
            await write

    async def _write(self, group: list[_Submission]) -> None:
        try:
            results = await self._store(group)
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0], exception=exc)
                return
            # One submission's bad data must not fail its neighbours: retry each alone.
            log.warning("group_commit.group_failed", submissions=len(group), error=repr(exc))
            for submission in group:
                await self._write([submission])
            return
        for submission, result in zip(group, results, strict=True):
            _settle(submission, result=result)

    async def _store(self, group: list[_Submission]) -> list[list[InteractionAccepted]]:
        """One statement for the whole group: atomic on its own, so no BEGIN/COMMIT round trips."""
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection  # asyncpg's, for its fetch(sql, *args)
            try:
                return await service.store(driver.fetch, [s.batch for s in group])
            except BaseException:
                # SQLAlchemy does not see errors raised by the driver's own calls: a connection
                # the server dropped (a restart) would go back to the pool and fail the next
                # group. One new connection after a failure costs little.
                await connection.invalidate()
                raise


def _settle(
    submission: _Submission,
    *,
    result: list[InteractionAccepted] | None = None,
    exception: Exception | None = None,
) -> None:
    if submission.done.done():  # the caller went away; what it sent is stored all the same
        return
    if exception is not None:
        submission.done.set_exception(exception)
    else:
        submission.done.set_result(result or [])
