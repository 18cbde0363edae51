"""Hourly term counts are deleted once no trend can read them, a bounded chunk at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.listening import repository
from analytics.listening.jobs import TERM_RETENTION, prune_terms
from analytics.listening.models import term_hour
from analytics.listening.recording import hour_of
from analytics.listening.schemas import TermSource
from analytics.listening.trends import HISTORY, MAX_RANGE, trends
from analytics.worker import spec

pytestmark = pytest.mark.integration

# Far before any other test's counts, so every row past retention here is one of ours.
NOW = datetime(2001, 6, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
h = term_hour.c


@pytest.fixture
def tenant(unique) -> str:
    return unique("tenant")


async def add(session, tenant_id: str, *hours: datetime, term: str = "#launch") -> None:
    """One count of `term` in each of `hours`, through the consumer's upsert."""
    await repository.add_terms(
        session, {(tenant_id, "brand-a", term, "comment", at): 1 for at in hours}
    )
    await session.flush()


async def hours_of(session, tenant_id: str) -> list[datetime]:
    rows = await session.scalars(
        select(h.hour_start).where(h.tenant_id == tenant_id).order_by(h.hour_start)
    )
    return list(rows)


class Transactions:
    """A sessionmaker counting the sessions (one transaction each) the job opens."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.opened = 0

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        self.opened += 1
        async with self.sessionmaker() as session:
            yield session


class TestPruneTerms:
    async def test_counts_past_retention_are_deleted_and_newer_ones_kept(
        self, sessionmaker, session, tenant
    ):
        cutoff = NOW - TERM_RETENTION
        await add(session, tenant, cutoff - timedelta(days=30), cutoff - HOUR, cutoff, NOW - HOUR)

        deleted = await prune_terms(sessionmaker, now=NOW)

        assert deleted == 2
        assert await hours_of(session, tenant) == [cutoff, NOW - HOUR]

    async def test_the_oldest_longest_trend_still_reads_its_previous_period(
        self, sessionmaker, session, tenant
    ):
        # The oldest period trends serve, 31 days from mid-hour, is widened to whole hours, and
        # so is the period of the same length before it: its first hour is the earliest any
        # trend reads.
        now = NOW + timedelta(minutes=30)
        start = now - HISTORY
        end = start + MAX_RANGE
        first, last = hour_of(start), hour_of(end) + HOUR
        earliest = first - (last - first)
        await add(session, tenant, earliest, end - HOUR)
        await add(session, tenant, earliest, end - HOUR, term="refund")

        await prune_terms(sessionmaker, now=now)

        found = await trends(
            session,
            tenant_id=tenant,
            brand_id="brand-a",
            start=start,
            end=end,
            sources=[TermSource.comment],
            limit=10,
            now=now,
        )
        assert {t.term: t.previous_count for t in found.top} == {"#launch": 1, "refund": 1}

    async def test_a_backlog_is_deleted_over_several_short_transactions(
        self, sessionmaker, session, tenant
    ):
        old = NOW - TERM_RETENTION - HOUR
        await add(session, tenant, *(old - i * HOUR for i in range(5)), NOW)
        transactions = Transactions(sessionmaker)

        deleted = await prune_terms(transactions, now=NOW, chunk=2)

        assert deleted == 5
        assert transactions.opened == 3
        assert await hours_of(session, tenant) == [NOW]

    async def test_other_tenants_recent_counts_are_untouched(
        self, sessionmaker, session, tenant, unique
    ):
        other = unique("tenant")
        await add(session, tenant, NOW - TERM_RETENTION - HOUR, NOW - HOUR)
        await add(session, other, NOW - TERM_RETENTION, NOW - 2 * HOUR, NOW - HOUR)
        await add(session, other, NOW - HOUR, term="refund")

        await prune_terms(sessionmaker, now=NOW)

        counts = await session.execute(
            select(h.term, h.hour_start, h.count).where(h.tenant_id == other)
        )
        assert sorted(counts) == [
            ("#launch", NOW - TERM_RETENTION, 1),
            ("#launch", NOW - 2 * HOUR, 1),
            ("#launch", NOW - HOUR, 1),
            ("refund", NOW - HOUR, 1),
        ]
        assert await hours_of(session, tenant) == [NOW - HOUR]


async def test_a_count_held_by_an_upsert_is_skipped_not_waited_for(engine, tenant):
    # Committed, since the row must be held by another transaction; removed at the end.
    old = NOW - TERM_RETENTION - HOUR
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    async with sessionmaker() as session, session.begin():
        await add(session, tenant, old, old - HOUR)
    try:
        async with sessionmaker() as consumer, consumer.begin():
            await add(consumer, tenant, old)
            # Waiting for the held row would time out here instead of deleting the other one.
            deleted = await asyncio.wait_for(prune_terms(sessionmaker, now=NOW), timeout=10)
            assert deleted == 1
        async with sessionmaker() as session:
            counts = await session.execute(
                select(h.hour_start, h.count).where(h.tenant_id == tenant)
            )
            assert list(counts) == [(old, 2)]
    finally:
        async with sessionmaker() as session, session.begin():
            await session.execute(term_hour.delete().where(h.tenant_id == tenant))


def test_the_worker_runs_the_job():
    # Jobs only read the context when they run.
    names = [job.__qualname__ for job in spec().jobs(SimpleNamespace())]
    assert "listening.prune_terms" in names
