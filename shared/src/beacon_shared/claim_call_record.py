"""Claim, call, record: how a worker works through rows due under a lease.

`claim(session, limit)` runs in a short transaction of its own and takes the due rows no other
worker holds, leasing them (`beacon_shared.leases.claim`); `call(row)` then does the row's work
outside any transaction (a network call, which may last seconds); `record(session, row, result)`
stores what came of it in a transaction of its own, with the call's exception as the result
when it raised: a failure records when the row is due again (its backoff), so the next claim
passes it over until then. An outcome that cannot be recorded (the database away) is handed to
`not_recorded` and left to the lease: the row is due again once it runs out.

Any number of workers may run the same claim, call and record at once: a row is claimed by one
of them only, and a worker that stops between the claim and the record loses its rows to the
next claim after their lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Claimed = TypeVar("Claimed")
Called = TypeVar("Called")
Recorded = TypeVar("Recorded")


@dataclass(frozen=True)
class ClaimCallRecord(Generic[Claimed, Called, Recorded]):
    """One worker's claim, call and record; `slots`, when given, bounds the calls (and their
    records) under way at once."""

    sessionmaker: async_sessionmaker[AsyncSession]
    claim: Callable[[AsyncSession, int], Awaitable[Sequence[Claimed]]]
    call: Callable[[Claimed], Awaitable[Called]]
    record: Callable[[AsyncSession, Claimed, Called | Exception], Awaitable[Recorded]]
    not_recorded: Callable[[Claimed, Exception], Recorded]
    slots: asyncio.Semaphore | None = None

    async def claimed(self, limit: int) -> Sequence[Claimed]:
        """Up to `limit` rows, claimed in a transaction of their own."""
        async with self.sessionmaker() as session, session.begin():
            return await self.claim(session, limit)

    async def settle(self, rows: Sequence[Claimed]) -> list[Recorded]:
        """Call and record each claimed row, at once (within `slots`); what each record said."""
        return list(await asyncio.gather(*(self.settle_one(row) for row in rows)))

    async def settle_one(self, row: Claimed) -> Recorded:
        """Call and record one claimed row; never raises for it."""
        async with self.slots or contextlib.nullcontext():
            result: Called | Exception
            try:
                result = await self.call(row)
            except Exception as exc:
                result = exc
            try:
                async with self.sessionmaker() as session, session.begin():
                    return await self.record(session, row, result)
            except Exception as exc:
                return self.not_recorded(row, exc)

    async def once(self, limit: int) -> list[Recorded]:
        """Claim up to `limit` rows, then call and record each."""
        return await self.settle(await self.claimed(limit))

    async def until_short(self, limit: int, *, stop: asyncio.Event | None = None) -> list[Recorded]:
        """Claim `limit` rows at a time, calling and recording each batch, until a claim comes
        back short (nothing more is due) or `stop` is set."""
        recorded: list[Recorded] = []
        while stop is None or not stop.is_set():
            rows = await self.claimed(limit)
            recorded += await self.settle(rows)
            if len(rows) < limit:
                break
        return recorded
