"""Claiming due rows under a lease on the real database: in order, never twice, never waiting."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Table, insert, select

from beacon_shared import leases
from beacon_shared.db import create_sessionmaker

pytestmark = pytest.mark.integration


@pytest.fixture
async def rows(engine, leased: Table, unique) -> tuple[str, list[uuid.UUID]]:
    """Five unheld rows of a batch of this test, due 0 to 4, and the batch's name."""
    batch = unique("batch")
    ids = [uuid.uuid4() for _ in range(5)]
    async with engine.begin() as conn:
        await conn.execute(
            insert(leased), [{"id": id_, "batch": batch, "due": n} for n, id_ in enumerate(ids)]
        )
    return batch, ids


async def take(session, leased: Table, batch: str, holder: str, limit: int) -> set[uuid.UUID]:
    claimed = await leases.claim(
        session,
        leased,
        where=[leased.c.batch == batch, leased.c.holder.is_(None)],
        order_by=[leased.c.due],
        limit=limit,
        lease={"holder": holder},
    )
    assert all(row.holder == holder for row in claimed)
    return {row.id for row in claimed}


class TestClaim:
    async def test_takes_the_first_rows_due_and_leaves_them_held(self, engine, leased, rows):
        batch, ids = rows
        async with create_sessionmaker(engine)() as session, session.begin():
            taken = await take(session, leased, batch, "w-1", 2)

        assert taken == set(ids[:2])
        async with engine.connect() as conn:
            held = await conn.execute(
                select(leased.c.id).where(leased.c.batch == batch, leased.c.holder == "w-1")
            )
            assert set(held.scalars()) == set(ids[:2])

    async def test_a_second_worker_skips_rows_being_claimed_instead_of_waiting(
        self, engine, leased, rows
    ):
        batch, ids = rows
        sessions = create_sessionmaker(engine)
        async with sessions() as first, first.begin():
            mine = await take(first, leased, batch, "w-1", 2)
            # The first claim has not committed: its rows are locked, not yet visibly held.
            async with sessions() as second, second.begin():
                theirs = await take(second, leased, batch, "w-2", 2)

        assert mine == set(ids[:2])
        assert theirs == set(ids[2:4])

    async def test_rows_of_a_joined_table_narrow_the_claim(self, engine, leased, rows):
        batch, ids = rows
        other = leased.alias("other")
        async with create_sessionmaker(engine)() as session, session.begin():
            claimed = await leases.claim(
                session,
                leased,
                joined=leased.join(other, other.c.id == leased.c.id),
                where=[leased.c.batch == batch, other.c.due >= 3],
                order_by=[leased.c.due],
                limit=5,
                lease={"holder": "w-1"},
                returning=[leased.c.id],
            )

        assert {row.id for row in claimed} == set(ids[3:])
