"""Queue slots and recurring posts keep their wall-clock time in the brand's zone, across DST."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostScheduled
from beacon_shared.crypto import SecretBox
from beacon_shared.events import decode
from beacon_shared.testing.brands import workspace_brand
from publisher.accounts import service as accounts
from publisher.accounts.schemas import AccountIn, Slot
from publisher.authoring import progress, service, slots, workflow
from publisher.authoring.exceptions import NoFreeSlot
from publisher.authoring.models import post
from publisher.authoring.schemas import PostIn
from publisher.brands import service as brands
from publisher.connectors.registry import BUILT_IN_NETWORKS
from publisher.db import outbox
from publisher.delivery import service as delivery
from publisher.delivery.models import post_target
from publisher.delivery.service import ClaimedTarget

pytestmark = pytest.mark.integration

PARIS = "Europe/Paris"
BRAND = "brand-paris"
LEASE = timedelta(seconds=60)
NO_KEY = SecretBox(None, setting="PUBLISHER_CREDENTIALS_KEY")
SUNDAY = 7


def spring_forward() -> date:
    """The next last Sunday of March (Paris moves to summer time) at least two weeks ahead."""
    today = datetime.now(UTC).date()
    for year in (today.year, today.year + 1):
        day = date(year, 3, 31)
        day -= timedelta(days=day.isoweekday() % 7)
        if day - today >= timedelta(days=14):
            return day
    raise AssertionError("unreachable")


def paris(value: datetime) -> datetime:
    """The Paris wall-clock time of an instant, naive."""
    return value.astimezone(ZoneInfo(PARIS)).replace(tzinfo=None)


@pytest.fixture
def tenant(unique) -> str:
    return unique("tenant")


@pytest.fixture
async def paris_brand(db_session: AsyncSession, tenant: str) -> str:
    await brands.configure(
        db_session, tenant_id=tenant, brand=workspace_brand(BRAND, timezone=PARIS)
    )
    return BRAND


async def connect(session: AsyncSession, tenant: str, *, slots_at: list[Slot]) -> uuid.UUID:
    """A sandbox account of the Paris brand with these queue slots."""
    row = await accounts.connect(
        session,
        tenant_id=tenant,
        body=AccountIn(
            network=Network.sandbox, external_account_id=uuid.uuid4().hex, brand_id=BRAND
        ),
        box=NO_KEY,
    )
    await accounts.replace_slots(session, tenant_id=tenant, account_id=row.id, slots=slots_at)
    account_id: uuid.UUID = row.id
    return account_id


async def create(
    session: AsyncSession, tenant: str, account_ids: list[uuid.UUID], **fields: Any
) -> service.PostRecord:
    body = PostIn.model_validate(
        {
            "text": "Sunday brunch is on",
            "targets": [{"account_id": str(a)} for a in account_ids],
            "brand_id": BRAND,
            **fields,
        }
    )
    created = await service.create(
        session,
        tenant_id=tenant,
        actor="key:test",
        body=body,
        idempotency_key=None,
        tolerance=timedelta(seconds=5),
        networks=BUILT_IN_NETWORKS,
    )
    return created.record


def due_by_account(record: service.PostRecord) -> dict[str, datetime]:
    return {t.account_id: t.due_at for t in record.targets}


class TestNextSlot:
    async def test_each_account_takes_its_first_free_slot_in_the_brands_zone(
        self, db_session, tenant, paris_brand
    ):
        mornings = await connect(
            db_session, tenant, slots_at=[Slot(weekday=d, local_time=time(9)) for d in range(1, 8)]
        )
        evenings = await connect(
            db_session,
            tenant,
            slots_at=[Slot(weekday=d, local_time=time(18, 30)) for d in range(1, 8)],
        )

        first = await create(db_session, tenant, [mornings], next_slot=True)
        second = await create(db_session, tenant, [mornings, evenings], next_slot=True)

        (taken,) = due_by_account(first).values()
        due = due_by_account(second)
        assert paris(taken).time() == time(9)
        assert taken - datetime.now(UTC) <= timedelta(days=1)
        # The morning slot is taken by the first post: the second gets the next morning.
        assert paris(due[str(mornings)]).time() == time(9)
        assert paris(due[str(mornings)]).date() == paris(taken).date() + timedelta(days=1)
        assert paris(due[str(evenings)]).time() == time(18, 30)
        assert due[str(evenings)] - datetime.now(UTC) <= timedelta(days=1)
        assert second.post.scheduled_at == min(due.values())
        assert (first.post.timezone, second.post.status) == (PARIS, "scheduled")

    async def test_a_cancelled_post_frees_its_slot(self, db_session, tenant, paris_brand):
        account = await connect(
            db_session, tenant, slots_at=[Slot(weekday=d, local_time=time(12)) for d in range(1, 8)]
        )
        first = await create(db_session, tenant, [account], next_slot=True)
        await workflow.cancel(db_session, tenant_id=tenant, post_id=first.post.id)

        again = await create(db_session, tenant, [account], next_slot=True)

        assert due_by_account(again) == due_by_account(first)

    async def test_the_slot_keeps_its_wall_clock_time_across_the_change_to_summer_time(
        self, db_session, tenant, paris_brand
    ):
        change = spring_forward()
        before = change - timedelta(days=7)
        account = await connect(
            db_session, tenant, slots_at=[Slot(weekday=SUNDAY, local_time=time(9))]
        )
        saturday_noon = datetime.combine(before - timedelta(days=1), time(12), tzinfo=UTC)

        async def next_free() -> datetime:
            return await slots.next_free(
                db_session,
                tenant_id=tenant,
                account_id=account,
                tz=PARIS,
                after=saturday_noon,
                pointer="/targets/0",
            )

        winter = await next_free()
        await create(db_session, tenant, [account], scheduled_at=winter)
        summer = await next_free()
        await create(db_session, tenant, [account], scheduled_at=summer)
        week_after = await next_free()

        # 09:00 is 08:00 UTC in winter time and 07:00 UTC in summer time.
        assert winter == datetime.combine(before, time(8), tzinfo=UTC)
        assert summer == datetime.combine(change, time(7), tzinfo=UTC)
        assert week_after == datetime.combine(change + timedelta(days=7), time(7), tzinfo=UTC)
        assert {paris(t) for t in (winter, summer, week_after)} == {
            datetime.combine(d, time(9)) for d in (before, change, change + timedelta(days=7))
        }

    async def test_a_slot_in_the_skipped_hour_moves_forward_by_the_gap(
        self, db_session, tenant, paris_brand
    ):
        change = spring_forward()
        account = await connect(
            db_session, tenant, slots_at=[Slot(weekday=SUNDAY, local_time=time(2, 30))]
        )

        at = await slots.next_free(
            db_session,
            tenant_id=tenant,
            account_id=account,
            tz=PARIS,
            after=datetime.combine(change - timedelta(days=1), time(12), tzinfo=UTC),
            pointer="/targets/0",
        )

        # 02:30 does not exist that night; it is read as 03:30 summer time, 01:30 UTC.
        assert at == datetime.combine(change, time(1, 30), tzinfo=UTC)

    async def test_an_account_without_slots_has_no_free_slot(self, db_session, tenant, paris_brand):
        account = await connect(db_session, tenant, slots_at=[])

        with pytest.raises(NoFreeSlot) as raised:
            await create(db_session, tenant, [account], next_slot=True)

        assert raised.value.status == 422
        assert [e["pointer"] for e in raised.value.errors] == ["/targets/0"]


async def claim(session: AsyncSession, *, now: datetime, worker: str, limit: int) -> list[Any]:
    return await delivery.claim_due(session, now=now, lease=LEASE, worker_id=worker, limit=limit)


async def claim_everything_due(session: AsyncSession, *, now: datetime) -> None:
    """Claim every target due by `now`: committed posts of other tests fall due before this
    test's, and claiming them inside this rolled-back transaction leaves only this test's."""
    while await claim(session, now=now, worker="others", limit=10_000):
        pass


async def series(session: AsyncSession, series_id: uuid.UUID) -> list[Any]:
    rows = await session.execute(
        select(post).where(post.c.series_id == series_id).order_by(post.c.occurrence)
    )
    return list(rows.all())


async def scheduled_events(session: AsyncSession, post_id: uuid.UUID) -> list[PostScheduled]:
    values = await session.execute(
        select(outbox.c.value).where(
            outbox.c.key == str(post_id), outbox.c.topic == "post.scheduled"
        )
    )
    return [decode(v).payload(PostScheduled) for v in values.scalars()]


def mine(claimed: list[ClaimedTarget], posts: list[Any]) -> set[uuid.UUID]:
    ids = {p.id for p in posts}
    return {c.target_id for c in claimed if c.post_id in ids}


class TestRecurrence:
    async def test_a_weekly_series_spawns_each_next_post_once_at_the_same_local_time(
        self, db_session, tenant, paris_brand
    ):
        change = spring_forward()
        start = datetime.combine(change - timedelta(days=7), time(9))
        a = await connect(db_session, tenant, slots_at=[])
        b = await connect(db_session, tenant, slots_at=[])
        first = await create(
            db_session,
            tenant,
            [a, b],
            local_time=start.isoformat(),
            timezone=PARIS,
            recurrence="FREQ=WEEKLY;COUNT=3",
        )
        t0 = first.post.scheduled_at
        await claim_everything_due(db_session, now=t0 - timedelta(seconds=1))

        # Two claimers each take one target of the first post, then one of them looks again.
        by_a = await claim(db_session, now=t0 + timedelta(minutes=1), worker="a", limit=1)
        by_b = await claim(db_session, now=t0 + timedelta(minutes=1), worker="b", limit=1)
        again = await claim(db_session, now=t0 + timedelta(minutes=1), worker="a", limit=100)
        after_first = await series(db_session, first.post.id)
        repeat = await progress.spawn_next_occurrence(db_session, after_first[0])

        assert {c.post_id for c in by_a + by_b} == {first.post.id}
        assert len({c.target_id for c in by_a + by_b}) == 2
        assert mine(again, after_first) == set()
        assert repeat is None
        assert len(await series(db_session, first.post.id)) == 2
        assert [(p.occurrence, p.status) for p in after_first] == [
            (0, "publishing"),
            (1, "scheduled"),
        ]
        second = after_first[1]
        t1 = datetime.combine(change, time(7), tzinfo=UTC)
        assert (second.scheduled_at, second.local_scheduled_at) == (t1, start + timedelta(days=7))
        assert (second.text, second.timezone, second.recurrence) == (
            "Sunday brunch is on",
            PARIS,
            "FREQ=WEEKLY;COUNT=3",
        )
        targets = (
            await db_session.execute(select(post_target).where(post_target.c.post_id == second.id))
        ).all()
        assert {(t.account_id, t.status, t.due_at, t.attempts) for t in targets} == {
            (str(a), "scheduled", t1, 0),
            (str(b), "scheduled", t1, 0),
        }
        (announced,) = await scheduled_events(db_session, second.id)
        assert (announced.change, announced.scheduled_at) == ("scheduled", t1)

        # The second post's claim spawns the third, in summer time too; the third is the last.
        claimed_second = await claim(db_session, now=t1, worker="a", limit=100)
        after_second = await series(db_session, first.post.id)
        t2 = t1 + timedelta(days=7)
        claimed_third = await claim(db_session, now=t2, worker="a", limit=100)
        after_third = await series(db_session, first.post.id)

        assert len(mine(claimed_second, after_first)) == 2
        assert [(p.occurrence, p.scheduled_at) for p in after_second] == [
            (0, t0),
            (1, t1),
            (2, t2),
        ]
        assert paris(after_second[2].scheduled_at) == start + timedelta(days=14)
        assert len(mine(claimed_third, after_second)) == 2
        assert [p.occurrence for p in after_third] == [0, 1, 2]
        assert (
            await db_session.scalar(
                select(func.count()).where(
                    post.c.series_id == first.post.id, post.c.status == "scheduled"
                )
            )
            == 0
        )

    async def test_a_post_that_does_not_recur_spawns_nothing(self, db_session, tenant, paris_brand):
        account = await connect(db_session, tenant, slots_at=[])
        when = datetime.combine(spring_forward(), time(10), tzinfo=UTC)
        created = await create(db_session, tenant, [account], scheduled_at=when)
        await claim_everything_due(db_session, now=when - timedelta(seconds=1))

        claimed = await claim(db_session, now=when, worker="a", limit=100)

        assert created.post.series_id is None
        assert mine(claimed, [created.post]) == {t.id for t in created.targets}
        assert await db_session.scalar(select(func.count()).where(post.c.tenant_id == tenant)) == 1
