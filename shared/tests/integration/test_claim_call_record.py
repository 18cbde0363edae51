"""Claim, call, record on the real database: rows claimed by one worker only, called outside the
claim, recorded after; a failure backs off, a lost worker's rows come back when its lease ends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import Row, Table, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared import leases
from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.db import create_sessionmaker
from beacon_shared.waiting import doubling

pytestmark = pytest.mark.integration

LEASE = 60  # seconds on the test's clock
FIRST_WAIT = 10  # a first failure's backoff


class Worker:
    """One worker of a test batch: claims due rows at its clock's `now`, calls `call`, records
    the outcome (a failure doubles the row's wait)."""

    def __init__(
        self,
        engine: AsyncEngine,
        leased: Table,
        batch: str,
        name: str,
        call: Callable[[Row[Any]], Awaitable[str]],
        *,
        slots: asyncio.Semaphore | None = None,
    ) -> None:
        self.leased, self.batch, self.name = leased, batch, name
        self.now = 0
        self.not_recorded: list[Exception] = []
        self.work = ClaimCallRecord(
            create_sessionmaker(engine),
            claim=self.claim,
            call=call,
            record=self.record,
            not_recorded=self.lost,
            slots=slots,
        )

    async def claim(self, session: AsyncSession, limit: int) -> Sequence[Row[Any]]:
        t = self.leased.c
        return await leases.claim(
            session,
            self.leased,
            where=[
                t.batch == self.batch,
                t.outcome.is_(None),
                t.due <= self.now,
                or_(t.lease_until.is_(None), t.lease_until <= self.now),
            ],
            order_by=[t.due],
            limit=limit,
            lease={"holder": self.name, "lease_until": self.now + LEASE},
        )

    async def record(self, session: AsyncSession, row: Row[Any], result: str | Exception) -> str:
        t = self.leased.c
        if isinstance(result, Exception):
            failures = row.failures + 1
            wait = doubling(FIRST_WAIT, failures - 1)
            values: dict[str, object] = {"failures": failures, "due": self.now + wait}
        else:
            values = {"outcome": result, "failures": 0}
        await session.execute(
            update(self.leased).where(t.id == row.id).values(lease_until=None, **values)
        )
        return "failed" if isinstance(result, Exception) else result

    def lost(self, row: Row[Any], exc: Exception) -> str:
        self.not_recorded.append(exc)
        return "not_recorded"


async def called(_row: Row[Any]) -> str:
    return "done"


@pytest.fixture
def batch(unique: Callable[[str], str]) -> str:
    return unique("batch")


@pytest.fixture
def add_rows(engine: AsyncEngine, leased: Table, batch: str) -> Callable[[int], Awaitable[list]]:
    async def add(count: int) -> list[uuid.UUID]:
        ids = [uuid.uuid4() for _ in range(count)]
        async with engine.begin() as conn:
            await conn.execute(
                insert(leased), [{"id": id_, "batch": batch, "due": 0} for id_ in ids]
            )
        return ids

    return add


async def state(engine: AsyncEngine, leased: Table, row_id: uuid.UUID) -> Row[Any]:
    async with engine.connect() as conn:
        return (await conn.execute(select(leased).where(leased.c.id == row_id))).one()


class TestClaimCallRecord:
    async def test_the_claim_is_committed_before_the_call_and_the_outcome_recorded_after(
        self, engine, leased, batch, add_rows
    ):
        [row_id] = await add_rows(1)
        seen_during_call: list[Row[Any]] = []

        async def call(row: Row[Any]) -> str:
            seen_during_call.append(await state(engine, leased, row.id))
            return "done"

        outcomes = await Worker(engine, leased, batch, "w-1", call).work.once(10)

        assert outcomes == ["done"]
        # Another connection saw the lease while the call ran: the claim had committed.
        assert (seen_during_call[0].holder, seen_during_call[0].lease_until) == ("w-1", LEASE)
        after = await state(engine, leased, row_id)
        assert (after.outcome, after.lease_until) == ("done", None)

    async def test_two_workers_never_take_the_same_row(self, engine, leased, batch, add_rows):
        ids = await add_rows(20)
        calls: list[tuple[str, uuid.UUID]] = []

        def calling(name: str) -> Callable[[Row[Any]], Awaitable[str]]:
            async def call(row: Row[Any]) -> str:
                calls.append((name, row.id))
                await asyncio.sleep(0.01)  # both workers' claims overlap their calls
                return name

            return call

        first = Worker(engine, leased, batch, "w-1", calling("w-1"))
        second = Worker(engine, leased, batch, "w-2", calling("w-2"))
        await asyncio.gather(first.work.until_short(3), second.work.until_short(3))

        called_ids = [row_id for _, row_id in calls]
        assert sorted(called_ids) == sorted(ids)  # each row once, none left
        assert {name for name, _ in calls} == {"w-1", "w-2"}
        for name, row_id in calls:
            assert (await state(engine, leased, row_id)).outcome == name

    async def test_a_row_whose_lease_ran_out_is_taken_again(self, engine, leased, batch, add_rows):
        [row_id] = await add_rows(1)
        lost = Worker(engine, leased, batch, "w-lost", called)
        taken = await lost.work.claimed(10)  # then the worker stops: no call, no record
        other = Worker(engine, leased, batch, "w-2", called)

        other.now = LEASE - 1
        during_lease = await other.work.once(10)
        other.now = LEASE
        after_lease = await other.work.once(10)

        assert [row.id for row in taken] == [row_id]
        assert during_lease == []
        assert after_lease == ["done"]
        assert (await state(engine, leased, row_id)).holder == "w-2"

    async def test_a_failed_call_is_recorded_and_backs_off_doubling(
        self, engine, leased, batch, add_rows
    ):
        [row_id] = await add_rows(1)
        answers = iter([ConnectionError("network away"), ConnectionError("still away"), "done"])

        async def call(_row: Row[Any]) -> str:
            answer = next(answers)
            if isinstance(answer, Exception):
                raise answer
            return answer

        worker = Worker(engine, leased, batch, "w-1", call)
        seen: list[tuple[int, list[str]]] = []
        for now in (0, FIRST_WAIT - 1, FIRST_WAIT, FIRST_WAIT + 2 * FIRST_WAIT - 1, 3 * FIRST_WAIT):
            worker.now = now
            seen.append((now, await worker.work.once(10)))

        assert seen == [
            (0, ["failed"]),
            (FIRST_WAIT - 1, []),  # backing off
            (FIRST_WAIT, ["failed"]),
            (3 * FIRST_WAIT - 1, []),  # the second failure waits twice as long
            (3 * FIRST_WAIT, ["done"]),
        ]
        after = await state(engine, leased, row_id)
        assert (after.outcome, after.failures) == ("done", 0)

    async def test_an_outcome_the_database_refuses_is_left_to_the_lease(
        self, engine, leased, batch, add_rows
    ):
        [row_id] = await add_rows(1)
        worker = Worker(engine, leased, batch, "w-1", called)

        async def refused(session: AsyncSession, row: Row[Any], result: str | Exception) -> str:
            await session.execute(
                update(leased).where(leased.c.id == row.id).values(outcome=result)
            )
            raise RuntimeError("the database went away")

        failing = ClaimCallRecord(
            worker.work.sessionmaker,
            claim=worker.claim,
            call=called,
            record=refused,
            not_recorded=worker.lost,
        )
        outcomes = await failing.once(10)

        assert outcomes == ["not_recorded"]
        assert [str(exc) for exc in worker.not_recorded] == ["the database went away"]
        after = await state(engine, leased, row_id)
        # Nothing of the record stayed, and the row is held until its lease ends.
        assert (after.outcome, after.holder, after.lease_until) == (None, "w-1", LEASE)

    async def test_until_short_claims_batches_until_one_comes_back_short(
        self, engine, leased, batch, add_rows
    ):
        await add_rows(7)
        claims: list[int] = []
        worker = Worker(engine, leased, batch, "w-1", called)
        claim = worker.work.claim

        async def counted(session: AsyncSession, limit: int) -> Sequence[Row[Any]]:
            rows = await claim(session, limit)
            claims.append(len(rows))
            return rows

        work = ClaimCallRecord(
            worker.work.sessionmaker,
            claim=counted,
            call=called,
            record=worker.record,
            not_recorded=worker.lost,
        )
        outcomes = await work.until_short(3)

        assert claims == [3, 3, 1]
        assert outcomes == ["done"] * 7

    async def test_slots_bound_the_calls_under_way(self, engine, leased, batch, add_rows):
        await add_rows(4)
        running = 0
        most = 0

        async def call(_row: Row[Any]) -> str:
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1
            return "done"

        worker = Worker(engine, leased, batch, "w-1", call, slots=asyncio.Semaphore(2))
        outcomes = await worker.work.once(10)

        assert outcomes == ["done"] * 4
        assert most == 2
