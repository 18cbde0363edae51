"""Claiming due targets: one claimer per target, and lost claims come back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from publisher.authoring.models import post
from publisher.delivery import service as delivery
from publisher.delivery.models import post_target

pytestmark = pytest.mark.integration
LEASE = timedelta(seconds=30)


async def test_two_concurrent_claimers_never_take_the_same_target(sessionmaker, seed_committed):
    seeded = await seed_committed(accounts=12)
    mine = set(seeded.target_ids)
    first_holds_its_claim = asyncio.Event()
    second_done = asyncio.Event()

    async def claimer(worker: str, *, first: bool) -> set[object]:
        async with sessionmaker() as session, session.begin():
            if first:
                claimed = await delivery.claim_due(
                    session, now=datetime.now(UTC), lease=LEASE, worker_id=worker, limit=8
                )
                # Keep this transaction (and its row locks) open while the second one claims.
                first_holds_its_claim.set()
                await asyncio.wait_for(second_done.wait(), 10)
            else:
                await first_holds_its_claim.wait()
                try:
                    claimed = await asyncio.wait_for(
                        delivery.claim_due(
                            session, now=datetime.now(UTC), lease=LEASE, worker_id=worker, limit=8
                        ),
                        10,
                    )
                finally:
                    second_done.set()
        return {c.target_id for c in claimed} & mine

    a, b = await asyncio.gather(claimer("a", first=True), claimer("b", first=False))

    assert a
    assert b
    assert a.isdisjoint(b)
    assert a | b == mine


async def test_many_racing_claimers_claim_each_target_exactly_once(sessionmaker, seed_committed):
    seeded = await seed_committed(accounts=30)
    mine = set(seeded.target_ids)

    async def drain(worker: str) -> list[object]:
        taken: list[object] = []
        while True:
            async with sessionmaker() as session, session.begin():
                claimed = await delivery.claim_due(
                    session, now=datetime.now(UTC), lease=LEASE, worker_id=worker, limit=3
                )
            if not claimed:
                return taken
            taken += [c.target_id for c in claimed if c.target_id in mine]

    results = await asyncio.gather(*(drain(f"w{n}") for n in range(4)))

    everything = [target for taken in results for target in taken]
    assert sorted(map(str, everything)) == sorted(map(str, mine))


async def test_claiming_marks_targets_publishing_and_the_post_publishing(db_session, seed):
    now = datetime.now(UTC)
    seeded = await seed(due_at=now - timedelta(seconds=1))

    claimed = await delivery.claim_due(db_session, now=now, lease=LEASE, worker_id="w", limit=500)

    (target,) = [c for c in claimed if c.target_id in seeded.target_ids]
    assert target.attempts == 1
    assert target.text == "Launch day!"
    row = (
        await db_session.execute(select(post_target).where(post_target.c.id == target.target_id))
    ).one()
    assert (row.status, row.claimed_by, row.lease_until) == ("publishing", "w", now + LEASE)
    status = await db_session.scalar(select(post.c.status).where(post.c.id == seeded.post_id))
    assert status == "publishing"


async def test_a_target_not_yet_due_is_not_claimed(db_session, seed):
    now = datetime.now(UTC)
    seeded = await seed(due_at=now + timedelta(seconds=5))

    claimed = await delivery.claim_due(db_session, now=now, lease=LEASE, worker_id="w", limit=500)

    assert not {c.target_id for c in claimed} & set(seeded.target_ids)


async def test_the_claim_passes_over_targets_of_brands_the_caller_s_condition_names(
    db_session, seed
):
    now = datetime.now(UTC)
    held = await seed(due_at=now - timedelta(seconds=1))
    free = await seed(due_at=now - timedelta(seconds=1))
    await db_session.execute(
        update(post).where(post.c.id == held.post_id).values(brand_id="brand-held")
    )

    claimed = await delivery.claim_due(
        db_session,
        now=now,
        lease=LEASE,
        worker_id="w",
        limit=500,
        brand_paused=lambda _tenant, brand: brand == "brand-held",
    )

    ids = {row.target_id for row in claimed}
    assert set(free.target_ids) <= ids
    assert not set(held.target_ids) & ids
    statuses = await db_session.scalars(
        select(post_target.c.status).where(post_target.c.post_id == held.post_id)
    )
    assert set(statuses) == {"scheduled"}


async def test_a_claim_whose_lease_expired_is_held_for_reconciliation_then_claimed_by_another(
    db_session, seed
):
    now = datetime.now(UTC)
    seeded = await seed(due_at=now - timedelta(seconds=1))
    (target_id,) = seeded.target_ids
    await delivery.claim_due(db_session, now=now, lease=LEASE, worker_id="crashed", limit=500)

    before_expiry = await _reclaim_mine(db_session, now + LEASE - timedelta(seconds=1), target_id)
    after_expiry = await _reclaim_mine(db_session, now + LEASE + timedelta(seconds=1), target_id)
    later = now + LEASE + timedelta(seconds=2)
    resent = await delivery.claim_due(
        db_session, now=later, lease=LEASE, worker_id="healthy", limit=500
    )
    reconciling = await delivery.claim_unconfirmed(
        db_session, now=later, lease=LEASE, worker_id="healthy", limit=500
    )

    assert before_expiry == "publishing"
    # The crashed worker may have published it: nothing resends it blindly.
    assert after_expiry == "unconfirmed"
    assert target_id not in {c.target_id for c in resent}
    (held,) = [c for c in reconciling if c.target_id == target_id]
    assert held.attempts == 1
    row = (await db_session.execute(select(post_target).where(post_target.c.id == target_id))).one()
    assert (row.status, row.claimed_by) == ("unconfirmed", "healthy")
    assert "stopped before recording" in row.error
    status = await db_session.scalar(select(post.c.status).where(post.c.id == seeded.post_id))
    assert status == "publishing"


async def _reclaim_mine(session, now, target_id) -> str:
    await delivery.reclaim_expired(session, now=now)
    status: str = await session.scalar(
        select(post_target.c.status).where(post_target.c.id == target_id)
    )
    return status
