"""Recording conversions: attribution, the daily rollup, replays, and conversions that arrive
before their campaign."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.roi import campaigns, conversions
from analytics.roi.conversions import Submission
from analytics.roi.exceptions import ConversionIdReused, InvalidConversion
from analytics.roi.models import conversion, conversion_day
from analytics.roi.schemas import ConversionIn
from beacon_shared.contracts.publisher import CampaignChanged
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from beacon_shared.idempotency import IdempotencyKeyReused

pytestmark = pytest.mark.integration

AT = datetime(2025, 11, 24, 18, 30, tzinfo=UTC)
DAY = date(2025, 11, 24)


def changed(tenant_id: str, campaign_id: uuid.UUID, utm_campaign: str, **values: object):
    payload = CampaignChanged.model_validate(
        {
            "campaign_id": campaign_id,
            "name": utm_campaign.title(),
            "kind": "promotion",
            "utm_campaign": utm_campaign,
            "utm_medium": "social",
            "changed_at": AT - timedelta(days=10),
            **values,
        }
    )
    return Envelope.build(
        payload, tenant_id=tenant_id, subject=str(campaign_id), source="/beacon/publisher"
    )


def body(**values: object) -> ConversionIn:
    return ConversionIn.model_validate(
        {"kind": "click", "occurred_at": AT.isoformat(), "utm_source": "x", **values}
    )


async def record(session: AsyncSession, tenant_id: str, *bodies: ConversionIn, key=None):
    stored, _ = await conversions.record_once(
        session,
        tenant_id=tenant_id,
        key=key,
        request=conversions.batch_fingerprint(bodies),
        submissions=[Submission(b) for b in bodies],
    )
    return stored


async def days(session: AsyncSession, tenant_id: str) -> dict[tuple, tuple]:
    rows = await session.execute(
        select(conversion_day).where(conversion_day.c.tenant_id == tenant_id)
    )
    return {
        (r.campaign_id, r.day, r.network, r.post_id, r.currency): (
            r.clicks,
            r.conversions,
            r.value,
        )
        for r in rows
    }


async def stored_count(session: AsyncSession, tenant_id: str) -> int:
    rows = await session.execute(select(conversion.c.id).where(conversion.c.tenant_id == tenant_id))
    return len(rows.all())


@pytest.fixture
def tenant(unique) -> str:
    return unique("tenant")


@pytest.fixture
async def spring(db_session, tenant) -> uuid.UUID:
    campaign_id = uuid.uuid4()
    await campaigns.apply_changes(db_session, [changed(tenant, campaign_id, "spring")])
    return campaign_id


class TestAttribution:
    async def test_utm_values_name_the_campaign_network_and_post(self, db_session, tenant, spring):
        post_id = uuid.uuid4()
        [stored] = await record(
            db_session,
            tenant,
            body(
                kind="conversion",
                value="49.90",
                currency="eur",
                utm_source="Facebook",
                utm_campaign="spring",
                utm_content=str(post_id),
            ),
        )

        out = stored.out()
        assert (out.attributed, out.reason, out.campaign_id) == (True, None, spring)
        assert (out.network, out.post_id, out.value, out.currency) == (
            "facebook",
            post_id,
            Decimal("49.9000"),
            "EUR",
        )
        assert out.attributed_at == out.received_at
        assert not stored.replayed
        assert await days(db_session, tenant) == {
            (spring, DAY, "facebook", str(post_id), "EUR"): (0, 1, Decimal("49.9000"))
        }

    async def test_a_batch_is_rolled_up_per_day_network_post_and_currency(
        self, db_session, tenant, spring
    ):
        next_day = AT + timedelta(hours=6)
        await record(
            db_session,
            tenant,
            body(utm_campaign="spring"),
            body(utm_campaign="spring"),
            body(utm_campaign="spring", occurred_at=next_day.isoformat()),
            body(utm_campaign="spring", utm_source="newsletter"),
            body(kind="conversion", utm_campaign="spring", value="10", currency="EUR"),
            body(kind="conversion", utm_campaign="spring", value="5.5", currency="EUR"),
            body(kind="conversion", utm_campaign="spring", value="7", currency="USD"),
            body(kind="conversion", utm_campaign="spring"),
        )

        assert await days(db_session, tenant) == {
            (spring, DAY, "x", "", ""): (2, 1, Decimal(0)),
            (spring, DAY + timedelta(days=1), "x", "", ""): (1, 0, Decimal(0)),
            (spring, DAY, "", "", ""): (1, 0, Decimal(0)),
            (spring, DAY, "x", "", "EUR"): (0, 2, Decimal("15.5000")),
            (spring, DAY, "x", "", "USD"): (0, 1, Decimal("7.0000")),
        }

    async def test_later_requests_add_to_the_rollup(self, db_session, tenant, spring):
        await record(db_session, tenant, body(utm_campaign="spring"))
        await record(db_session, tenant, body(utm_campaign="spring"), body(utm_campaign="spring"))

        assert await days(db_session, tenant) == {(spring, DAY, "x", "", ""): (3, 0, Decimal(0))}

    async def test_without_utm_campaign_it_is_kept_unattributed_for_good(
        self, db_session, tenant, spring
    ):
        [stored] = await record(db_session, tenant, body())

        assert (stored.out().attributed, stored.out().reason) == (False, "no_utm_campaign")
        assert await days(db_session, tenant) == {}

    async def test_another_tenant_s_campaign_is_unknown(self, db_session, spring, unique):
        [stored] = await record(db_session, unique("other"), body(utm_campaign="spring"))

        assert (stored.out().attributed, stored.out().reason) == (False, "unknown_campaign")

    async def test_an_old_utm_campaign_still_reaches_its_campaign(self, db_session, tenant, spring):
        await campaigns.apply_changes(
            db_session, [changed(tenant, spring, "spring-2026", changed_at=AT - timedelta(days=1))]
        )

        [old_link] = await record(db_session, tenant, body(utm_campaign="spring"))
        [new_link] = await record(db_session, tenant, body(utm_campaign="spring-2026"))

        assert old_link.out().campaign_id == new_link.out().campaign_id == spring

    async def test_a_utm_campaign_taken_over_goes_to_the_latest_claimant(
        self, db_session, tenant, spring
    ):
        successor = uuid.uuid4()
        await campaigns.apply_changes(
            db_session,
            [
                changed(tenant, spring, "spring-old", changed_at=AT - timedelta(days=2)),
                changed(tenant, successor, "spring", changed_at=AT - timedelta(days=1)),
            ],
        )

        [stored] = await record(db_session, tenant, body(utm_campaign="spring"))

        assert stored.out().campaign_id == successor

    async def test_invalid_items_are_all_named_and_nothing_is_stored(self, db_session, tenant):
        with pytest.raises(InvalidConversion) as refused:
            await conversions.record(
                db_session,
                tenant_id=tenant,
                submissions=[
                    Submission(body(utm_campaign="spring"), pointer="/conversions/0"),
                    Submission(body(value="1", currency="EUR"), pointer="/conversions/1"),
                    Submission(
                        body(occurred_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()),
                        pointer="/conversions/2",
                    ),
                ],
            )

        assert {e["pointer"] for e in refused.value.errors} == {
            "/conversions/1/value",
            "/conversions/2/occurred_at",
        }
        assert await stored_count(db_session, tenant) == 0


class TestReplays:
    async def test_a_conversion_id_sent_again_replays_the_stored_conversion(
        self, db_session, tenant, spring
    ):
        [first] = await record(db_session, tenant, body(conversion_id="c-1", utm_campaign="spring"))
        [again] = await record(db_session, tenant, body(conversion_id="c-1", utm_campaign="spring"))

        assert again.replayed
        assert again.out() == first.out()
        assert await stored_count(db_session, tenant) == 1
        assert await days(db_session, tenant) == {(spring, DAY, "x", "", ""): (1, 0, Decimal(0))}

    async def test_an_idempotency_key_sent_again_replays_the_stored_conversion(
        self, db_session, tenant, spring
    ):
        [first] = await record(db_session, tenant, body(utm_campaign="spring"), key="k-1")
        [again] = await record(db_session, tenant, body(utm_campaign="spring"), key="k-1")

        assert (again.replayed, again.out().id) == (True, first.out().id)
        assert await days(db_session, tenant) == {(spring, DAY, "x", "", ""): (1, 0, Decimal(0))}

    async def test_a_duplicate_inside_one_batch_is_stored_once(self, db_session, tenant, spring):
        stored = await record(
            db_session,
            tenant,
            body(conversion_id="c-1", utm_campaign="spring"),
            body(conversion_id="c-1", utm_campaign="spring"),
        )

        assert [s.replayed for s in stored] == [False, True]
        assert stored[0].out().id == stored[1].out().id
        assert await days(db_session, tenant) == {(spring, DAY, "x", "", ""): (1, 0, Decimal(0))}

    async def test_an_id_reused_for_another_conversion_is_refused(self, db_session, tenant):
        await record(db_session, tenant, body(conversion_id="c-1", utm_campaign="spring"))

        with pytest.raises(ConversionIdReused) as refused:
            await record(db_session, tenant, body(conversion_id="c-1", utm_campaign="summer"))

        assert [e["pointer"] for e in refused.value.errors] == ["/conversion_id"]

    async def test_a_key_reused_for_another_conversion_is_refused(self, db_session, tenant):
        await record(db_session, tenant, body(utm_campaign="spring"), key="k-1")

        with pytest.raises(IdempotencyKeyReused) as refused:
            await record(db_session, tenant, body(utm_campaign="summer"), key="k-1")

        assert refused.value.code == "idempotency_key_reused"
        assert await stored_count(db_session, tenant) == 1

    async def test_ids_belong_to_their_tenant(self, db_session, tenant, unique):
        [mine] = await record(db_session, tenant, body(conversion_id="c-1"))
        [theirs] = await record(db_session, unique("other"), body(conversion_id="c-1"))

        assert not theirs.replayed
        assert theirs.out().id != mine.out().id


class TestLateCampaign:
    async def test_conversions_waiting_for_their_campaign_are_attributed_when_it_arrives(
        self, db_session, tenant
    ):
        waiting = await record(
            db_session,
            tenant,
            body(utm_campaign="launch"),
            body(kind="conversion", utm_campaign="launch", value="20", currency="EUR"),
            body(utm_campaign="other"),
        )
        assert [s.out().reason for s in waiting] == ["unknown_campaign"] * 3
        assert await days(db_session, tenant) == {}

        launch = uuid.uuid4()
        attributed = await campaigns.apply_changes(
            db_session, [changed(tenant, launch, "launch")], now=AT
        )

        assert attributed == 2
        assert await days(db_session, tenant) == {
            (launch, DAY, "x", "", ""): (1, 0, Decimal(0)),
            (launch, DAY, "x", "", "EUR"): (0, 1, Decimal("20.0000")),
        }
        rows = await db_session.execute(
            select(conversion.c.utm_campaign, conversion.c.campaign_id, conversion.c.attributed_at)
            .where(conversion.c.tenant_id == tenant)
            .order_by(conversion.c.utm_campaign)
        )
        assert [tuple(r) for r in rows] == [
            ("launch", launch, AT),
            ("launch", launch, AT),
            ("other", None, None),
        ]

    async def test_a_replayed_campaign_event_attributes_nothing_twice(self, db_session, tenant):
        await record(db_session, tenant, body(utm_campaign="launch"))
        launch = uuid.uuid4()
        event = changed(tenant, launch, "launch")

        assert await campaigns.apply_changes(db_session, [event]) == 1
        assert await campaigns.apply_changes(db_session, [event]) == 0
        assert await days(db_session, tenant) == {(launch, DAY, "x", "", ""): (1, 0, Decimal(0))}

    async def test_a_replayed_conversion_after_late_attribution_shows_its_campaign(
        self, db_session, tenant
    ):
        await record(db_session, tenant, body(conversion_id="c-9", utm_campaign="launch"))
        launch = uuid.uuid4()
        await campaigns.apply_changes(db_session, [changed(tenant, launch, "launch")])

        [again] = await record(db_session, tenant, body(conversion_id="c-9", utm_campaign="launch"))

        assert again.replayed
        assert (again.out().attributed, again.out().campaign_id) == (True, launch)


class TestConcurrency:
    """A conversion stored while its campaign arrives is attributed either way round."""

    async def test_a_campaign_arriving_during_a_conversion_waits_and_then_attributes_it(
        self, engine, tenant
    ):
        sessions = create_sessionmaker(engine)
        launch = uuid.uuid4()
        async with sessions() as recording:
            async with recording.begin():
                await record(recording, tenant, body(utm_campaign="launch"))

                async def arrive() -> int:
                    async with sessions() as applying, applying.begin():
                        return await campaigns.apply_changes(
                            applying, [changed(tenant, launch, "launch")]
                        )

                arriving = asyncio.create_task(arrive())
                await asyncio.sleep(0.5)
                # It waits for the conversion's transaction rather than miss its conversion.
                assert not arriving.done()
            assert await arriving == 1
        async with sessions() as check:
            assert await days(check, tenant) == {(launch, DAY, "x", "", ""): (1, 0, Decimal(0))}

    async def test_a_conversion_during_a_campaign_arrival_waits_and_finds_it(self, engine, tenant):
        sessions = create_sessionmaker(engine)
        launch = uuid.uuid4()
        async with sessions() as applying:
            async with applying.begin():
                await campaigns.apply_changes(applying, [changed(tenant, launch, "launch")])

                async def convert() -> bool:
                    async with sessions() as recording, recording.begin():
                        [stored] = await record(recording, tenant, body(utm_campaign="launch"))
                        return stored.out().attributed

                converting = asyncio.create_task(convert())
                await asyncio.sleep(0.5)
                assert not converting.done()
            assert await converting is True
        async with sessions() as check:
            assert await days(check, tenant) == {(launch, DAY, "x", "", ""): (1, 0, Decimal(0))}
