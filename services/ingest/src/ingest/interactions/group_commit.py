"""Group commit: concurrent submissions share one transaction, so a spike costs few commits.

Each submission waits at most `window_seconds` for company (or until `max_items` are queued),
then one transaction stores the whole group and every submitter gets its own results once that
transaction committed: acknowledged means durable, as with a transaction of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.logging import get_logger
from ingest.interactions import service
from ingest.interactions.schemas import InteractionAccepted, InteractionIn

log = get_logger(__name__)


@dataclass
class _Submission:
    tenant_id: str
    items: Sequence[InteractionIn]
    done: asyncio.Future[list[InteractionAccepted]]


class GroupCommitter:
    """Stores interactions like `service.accept`, batching concurrent callers."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        window_seconds: float = 0.002,
        max_items: int = 2000,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.window_seconds = window_seconds
        self.max_items = max_items
        self._queue: list[_Submission] = []
        self._queued_items = 0
        self._full = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()

    async def accept(
        self, *, tenant_id: str, items: Sequence[InteractionIn]
    ) -> list[InteractionAccepted]:
        """Results in the order of `items`, once the group holding them is committed."""
        done: asyncio.Future[list[InteractionAccepted]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Submission(tenant_id, items, done))
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
        """One transaction, one `accept` per tenant over all its submissions' items."""
        by_tenant: dict[str, list[_Submission]] = {}
        for submission in group:
            by_tenant.setdefault(submission.tenant_id, []).append(submission)
        results: dict[int, list[InteractionAccepted]] = {}
        async with self.sessionmaker() as session, session.begin():
            for tenant_id, submissions in by_tenant.items():
                merged = [item for s in submissions for item in s.items]
                accepted = await service.accept(session, tenant_id=tenant_id, items=merged)
                start = 0
                for submission in submissions:
                    end = start + len(submission.items)
                    results[id(submission)] = accepted[start:end]
                    start = end
        return [results[id(submission)] for submission in group]


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
