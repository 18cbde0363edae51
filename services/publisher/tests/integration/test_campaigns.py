"""The campaigns service against Postgres: defaults, uniqueness, periods, paging, archiving."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.pagination import InvalidCursor
from publisher.campaigns import service
from publisher.campaigns.exceptions import (
    CampaignArchived,
    CampaignEndsBeforeStart,
    CampaignNotFound,
    CostWithoutCurrency,
    UtmCampaignTaken,
)
from publisher.campaigns.models import CampaignKind, campaign
from publisher.campaigns.schemas import CampaignIn, CampaignPatch, CampaignQuery

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def campaign_in(**values: object) -> CampaignIn:
    return CampaignIn.model_validate({"name": "Spring Sale", **values})


def patch(**values: object) -> CampaignPatch:
    return CampaignPatch.model_validate(values)


@pytest.fixture
def tenant(unique: Callable[[str], str]) -> str:
    return unique("tenant")


async def create(session: AsyncSession, tenant_id: str, **values: object) -> service.CampaignRow:
    return await service.create(session, tenant_id=tenant_id, body=campaign_in(**values))


class TestCreate:
    async def test_a_campaign_is_stored_with_its_defaults(self, db_session, tenant):
        created = await create(db_session, tenant, name="Été à Paris — 2026!")

        assert created.tenant_id == tenant
        assert created.kind is CampaignKind.other
        assert created.utm_campaign == "ete-a-paris-2026"
        assert created.utm_medium == "social"
        assert created.archived_at is None
        assert created.created_at == created.updated_at
        assert await service.get(db_session, tenant_id=tenant, campaign_id=created.id) == created

    async def test_every_field_given_is_stored(self, db_session, tenant):
        created = await create(
            db_session,
            tenant,
            kind="event",
            brand_id="brand-1",
            description="Our spring fair",
            starts_at=T0.isoformat(),
            ends_at=(T0 + timedelta(days=3)).isoformat(),
            utm_campaign="fair_2026",
            utm_medium="paid-social",
            cost_amount="1500.5",
            currency="eur",
        )

        stored = await service.get(db_session, tenant_id=tenant, campaign_id=created.id)
        assert (stored.kind, stored.brand_id, stored.description) == (
            CampaignKind.event,
            "brand-1",
            "Our spring fair",
        )
        assert (stored.starts_at, stored.ends_at) == (T0, T0 + timedelta(days=3))
        assert (stored.utm_campaign, stored.utm_medium) == ("fair_2026", "paid-social")
        assert (stored.cost_amount, stored.currency) == (Decimal("1500.50"), "EUR")

    async def test_a_name_without_letters_or_digits_gets_an_id_based_utm_campaign(
        self, db_session, tenant
    ):
        created = await create(db_session, tenant, name="🎉 🎉")
        assert created.utm_campaign == f"campaign-{created.id.hex[:8]}"

    async def test_a_taken_utm_campaign_is_refused_and_the_transaction_goes_on(
        self, db_session, tenant
    ):
        first = await create(db_session, tenant, utm_campaign="spring")

        with pytest.raises(UtmCampaignTaken) as raised:
            await create(db_session, tenant, name="Other", utm_campaign="spring")
        # The default slug of a repeated name collides the same way.
        with pytest.raises(UtmCampaignTaken):
            await create(db_session, tenant, name="Spring!", kind="promotion")
        later = await create(db_session, tenant, name="Later")

        assert raised.value.status == 409
        assert [e["pointer"] for e in raised.value.errors] == ["/utm_campaign"]
        assert await service.get(db_session, tenant_id=tenant, campaign_id=first.id) == first
        assert later.utm_campaign == "later"

    async def test_an_archived_campaign_keeps_its_utm_campaign(self, db_session, tenant):
        old = await create(db_session, tenant, name="Black Friday")
        await service.archive(db_session, tenant_id=tenant, campaign_id=old.id)

        with pytest.raises(UtmCampaignTaken):
            await create(db_session, tenant, name="Black Friday")

    async def test_another_tenant_may_use_the_same_utm_campaign(self, db_session, tenant, unique):
        mine = await create(db_session, tenant)
        theirs = await create(db_session, unique("other"))
        assert mine.utm_campaign == theirs.utm_campaign == "spring-sale"

    @pytest.mark.parametrize("ends_after", [timedelta(0), timedelta(hours=-1)])
    async def test_an_end_not_after_the_start_is_refused(self, db_session, tenant, ends_after):
        with pytest.raises(CampaignEndsBeforeStart) as raised:
            await create(
                db_session, tenant, starts_at=T0.isoformat(), ends_at=(T0 + ends_after).isoformat()
            )
        assert raised.value.status == 422
        assert [e["pointer"] for e in raised.value.errors] == ["/ends_at"]

    async def test_a_cost_without_currency_is_refused(self, db_session, tenant):
        with pytest.raises(CostWithoutCurrency) as raised:
            await create(db_session, tenant, cost_amount="10")
        assert [e["pointer"] for e in raised.value.errors] == ["/currency"]


class TestTableConstraints:
    """The table itself refuses what the service refuses, should anything write around it."""

    @pytest.mark.parametrize(
        ("values", "constraint"),
        [
            ({"starts_at": T0, "ends_at": T0}, "ck_campaign_ends_after_starts"),
            ({"cost_amount": Decimal("-1"), "currency": "EUR"}, "ck_campaign_cost_not_negative"),
            ({"cost_amount": Decimal("1")}, "ck_campaign_cost_has_currency"),
            ({"currency": "eur"}, "ck_campaign_currency_code"),
            ({"kind": "webinar"}, "ck_campaign_kind"),
        ],
    )
    async def test_an_invalid_row_is_refused(self, db_session, tenant, values, constraint):
        row = {
            "id": uuid.uuid4(),
            "tenant_id": tenant,
            "name": "Raw",
            "kind": "other",
            "utm_campaign": "raw",
            "utm_medium": "social",
            **values,
        }
        with pytest.raises(IntegrityError, match=constraint):
            async with db_session.begin_nested():
                await db_session.execute(insert(campaign).values(row))


class TestGetAndList:
    async def test_another_tenants_campaign_is_not_found(self, db_session, tenant, unique):
        theirs = await create(db_session, unique("other"))
        with pytest.raises(CampaignNotFound):
            await service.get(db_session, tenant_id=tenant, campaign_id=theirs.id)

    async def test_pages_walk_every_campaign_newest_first(self, db_session, tenant, unique):
        ids = [(await create(db_session, tenant, name=f"C{n}")).id for n in range(5)]
        await create(db_session, unique("other"), name="C0")

        seen: list[uuid.UUID] = []
        cursor = None
        while True:
            query = CampaignQuery(limit=2, cursor=cursor)
            page, cursor = await service.list_page(db_session, tenant_id=tenant, query=query)
            assert len(page) <= 2
            seen += [c.id for c in page]
            if cursor is None:
                break

        assert seen == list(reversed(ids))

    async def test_filters_by_brand_and_kind(self, db_session, tenant):
        fair = await create(db_session, tenant, name="Fair", kind="event", brand_id="b1")
        sale = await create(db_session, tenant, name="Sale", kind="promotion", brand_id="b1")
        other = await create(db_session, tenant, name="Gala", kind="event", brand_id="b2")

        async def names(**filters: object) -> list[str]:
            query = CampaignQuery.model_validate(filters)
            return [
                c.name
                for c in (await service.list_page(db_session, tenant_id=tenant, query=query))[0]
            ]

        assert await names(brand_id="b1") == [sale.name, fair.name]
        assert await names(kind="event") == [other.name, fair.name]
        assert await names(brand_id="b1", kind="event") == [fair.name]

    async def test_active_at_finds_campaigns_running_then(self, db_session, tenant):
        day = timedelta(days=1)
        window = await create(
            db_session,
            tenant,
            name="Window",
            starts_at=T0.isoformat(),
            ends_at=(T0 + day).isoformat(),
        )
        open_start = await create(
            db_session, tenant, name="Open start", ends_at=(T0 + day).isoformat()
        )
        open_end = await create(db_session, tenant, name="Open end", starts_at=T0.isoformat())
        always = await create(db_session, tenant, name="Always")

        async def running(at: datetime) -> set[str]:
            query = CampaignQuery(active_at=at)
            page, _ = await service.list_page(db_session, tenant_id=tenant, query=query)
            return {c.name for c in page}

        everything = {window.name, open_start.name, open_end.name, always.name}
        assert await running(T0 - timedelta(seconds=1)) == {open_start.name, always.name}
        # The start is included, the end is not.
        assert await running(T0) == everything
        assert await running(T0 + day - timedelta(seconds=1)) == everything
        assert await running(T0 + day) == {open_end.name, always.name}

    async def test_archived_campaigns_are_listed_only_on_request(self, db_session, tenant):
        kept = await create(db_session, tenant, name="Kept")
        gone = await create(db_session, tenant, name="Gone")
        await service.archive(db_session, tenant_id=tenant, campaign_id=gone.id)

        default, _ = await service.list_page(db_session, tenant_id=tenant, query=CampaignQuery())
        every, _ = await service.list_page(
            db_session, tenant_id=tenant, query=CampaignQuery(include_archived=True)
        )

        assert [c.id for c in default] == [kept.id]
        assert [c.id for c in every] == [gone.id, kept.id]

    async def test_a_forged_cursor_is_refused(self, db_session, tenant):
        with pytest.raises(InvalidCursor):
            await service.list_page(
                db_session, tenant_id=tenant, query=CampaignQuery(cursor="forged")
            )


class TestUpdate:
    async def test_only_the_fields_sent_change_and_null_clears(self, db_session, tenant):
        created = await create(
            db_session,
            tenant,
            brand_id="b1",
            description="Before",
            cost_amount="100",
            currency="USD",
        )

        updated = await service.update(
            db_session,
            tenant_id=tenant,
            campaign_id=created.id,
            patch=patch(name="Renamed", kind="launch", description=None, cost_amount=None),
        )

        assert (updated.name, updated.kind, updated.description) == (
            "Renamed",
            CampaignKind.launch,
            None,
        )
        assert (updated.cost_amount, updated.currency) == (None, "USD")
        # The utm_campaign stays: links already out keep theirs, and reports stay together.
        assert (updated.brand_id, updated.utm_campaign) == ("b1", "spring-sale")
        assert updated.updated_at > created.updated_at
        assert await service.get(db_session, tenant_id=tenant, campaign_id=created.id) == updated

    async def test_an_empty_patch_changes_nothing(self, db_session, tenant):
        created = await create(db_session, tenant)
        same = await service.update(
            db_session, tenant_id=tenant, campaign_id=created.id, patch=patch()
        )
        assert same == created

    async def test_the_period_is_checked_against_the_stored_values(self, db_session, tenant):
        created = await create(db_session, tenant, starts_at=T0.isoformat())

        with pytest.raises(CampaignEndsBeforeStart):
            await service.update(
                db_session,
                tenant_id=tenant,
                campaign_id=created.id,
                patch=patch(ends_at=(T0 - timedelta(hours=1)).isoformat()),
            )
        moved = await service.update(
            db_session,
            tenant_id=tenant,
            campaign_id=created.id,
            patch=patch(starts_at=None, ends_at=(T0 - timedelta(hours=1)).isoformat()),
        )
        assert (moved.starts_at, moved.ends_at) == (None, T0 - timedelta(hours=1))

    async def test_a_cost_needs_a_currency_stored_or_sent(self, db_session, tenant):
        created = await create(db_session, tenant)

        with pytest.raises(CostWithoutCurrency):
            await service.update(
                db_session, tenant_id=tenant, campaign_id=created.id, patch=patch(cost_amount="5")
            )
        priced = await service.update(
            db_session,
            tenant_id=tenant,
            campaign_id=created.id,
            patch=patch(cost_amount="5", currency="GBP"),
        )
        with pytest.raises(CostWithoutCurrency):
            await service.update(
                db_session, tenant_id=tenant, campaign_id=created.id, patch=patch(currency=None)
            )
        assert (priced.cost_amount, priced.currency) == (Decimal("5.00"), "GBP")

    async def test_a_taken_utm_campaign_is_refused(self, db_session, tenant):
        await create(db_session, tenant, name="First")
        second = await create(db_session, tenant, name="Second")

        with pytest.raises(UtmCampaignTaken):
            await service.update(
                db_session,
                tenant_id=tenant,
                campaign_id=second.id,
                patch=patch(utm_campaign="first"),
            )
        assert (
            await service.get(db_session, tenant_id=tenant, campaign_id=second.id)
        ).utm_campaign == "second"

    async def test_an_archived_campaign_can_still_be_changed(self, db_session, tenant):
        created = await create(db_session, tenant)
        await service.archive(db_session, tenant_id=tenant, campaign_id=created.id)

        updated = await service.update(
            db_session,
            tenant_id=tenant,
            campaign_id=created.id,
            patch=patch(cost_amount="999.99", currency="EUR"),
        )

        assert updated.archived
        assert updated.cost_amount == Decimal("999.99")

    async def test_another_tenants_campaign_cannot_be_changed(self, db_session, tenant, unique):
        theirs = await create(db_session, unique("other"))
        with pytest.raises(CampaignNotFound):
            await service.update(
                db_session, tenant_id=tenant, campaign_id=theirs.id, patch=patch(name="Mine")
            )


class TestArchive:
    async def test_archiving_sets_the_time_once(self, db_session, tenant):
        created = await create(db_session, tenant)

        archived = await service.archive(db_session, tenant_id=tenant, campaign_id=created.id)
        again = await service.archive(db_session, tenant_id=tenant, campaign_id=created.id)

        assert archived.archived_at is not None
        assert again == archived

    async def test_another_tenants_campaign_cannot_be_archived(self, db_session, tenant, unique):
        theirs = await create(db_session, unique("other"))
        with pytest.raises(CampaignNotFound):
            await service.archive(db_session, tenant_id=tenant, campaign_id=theirs.id)
        assert not (
            await service.get(db_session, tenant_id=theirs.tenant_id, campaign_id=theirs.id)
        ).archived


class TestRequireOpen:
    async def test_an_open_campaign_is_returned(self, db_session, tenant):
        created = await create(db_session, tenant)
        for named in (created.id, str(created.id)):
            found = await service.require_open(db_session, tenant_id=tenant, campaign_id=named)
            assert found == created

    # Fixed ids: every test worker must collect the same test names.
    @pytest.mark.parametrize(
        "campaign_id",
        [
            uuid.UUID("5f0c1a2e-7b3d-4e9f-8a61-2c4d6e8f0a13"),
            "9b1d3f5a-7c9e-4b2d-8f40-6a8c0e2f4b61",
            "spring",
            "",
        ],
    )
    async def test_an_unknown_campaign_is_a_404_pointing_at_the_field(
        self, db_session, tenant, campaign_id
    ):
        with pytest.raises(CampaignNotFound) as raised:
            await service.require_open(db_session, tenant_id=tenant, campaign_id=campaign_id)
        assert raised.value.status == 404
        assert [e["pointer"] for e in raised.value.errors] == ["/campaign_id"]

    async def test_another_tenants_campaign_is_unknown(self, db_session, tenant, unique):
        theirs = await create(db_session, unique("other"))
        with pytest.raises(CampaignNotFound):
            await service.require_open(db_session, tenant_id=tenant, campaign_id=theirs.id)

    async def test_an_archived_campaign_is_a_409_pointing_at_the_field(self, db_session, tenant):
        created = await create(db_session, tenant)
        await service.archive(db_session, tenant_id=tenant, campaign_id=created.id)

        with pytest.raises(CampaignArchived) as raised:
            await service.require_open(
                db_session, tenant_id=tenant, campaign_id=created.id, pointer="/campaign"
            )

        assert raised.value.status == 409
        assert raised.value.code == "campaign_archived"
        assert [e["pointer"] for e in raised.value.errors] == ["/campaign"]

    async def test_find_returns_archived_campaigns_and_none_for_unknown_ones(
        self, db_session, tenant
    ):
        created = await create(db_session, tenant)
        archived = await service.archive(db_session, tenant_id=tenant, campaign_id=created.id)

        assert await service.find(db_session, tenant_id=tenant, campaign_id=str(created.id)) == (
            archived
        )
        assert await service.find(db_session, tenant_id=tenant, campaign_id="spring") is None
        assert await service.find(db_session, tenant_id=tenant, campaign_id=uuid.uuid4()) is None


@pytest.fixture
async def committed_tenant(
    sessionmaker: async_sessionmaker[AsyncSession], unique: Callable[[str], str]
) -> AsyncIterator[str]:
    """A tenant whose campaigns are committed, and removed after the test."""
    tenant_id = unique("tenant")
    yield tenant_id
    async with sessionmaker() as session, session.begin():
        await session.execute(delete(campaign).where(campaign.c.tenant_id == tenant_id))


async def test_a_campaign_cannot_be_archived_while_a_post_naming_it_is_being_stored(
    sessionmaker: async_sessionmaker[AsyncSession], committed_tenant: str
):
    async with sessionmaker() as session, session.begin():
        created = await create(session, committed_tenant)

    async with sessionmaker() as posting, posting.begin():
        await service.require_open(posting, tenant_id=committed_tenant, campaign_id=created.id)
        # The post's transaction is still open: archiving has to wait for it.
        async with sessionmaker() as archiving, archiving.begin():
            await archiving.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(DBAPIError, match="lock"):
                await service.archive(archiving, tenant_id=committed_tenant, campaign_id=created.id)

    async with sessionmaker() as session, session.begin():
        archived = await asyncio.wait_for(
            service.archive(session, tenant_id=committed_tenant, campaign_id=created.id), 5
        )
    assert archived.archived
