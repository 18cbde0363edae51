"""Every campaign change stages `campaign.changed` with the whole campaign, in its transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.publisher import CampaignChanged
from beacon_shared.events import Envelope, decode
from publisher.campaigns import service
from publisher.campaigns.exceptions import CampaignEndsBeforeStart, UtmCampaignTaken
from publisher.campaigns.models import campaign
from publisher.campaigns.schemas import CampaignIn, CampaignPatch
from publisher.db import outbox

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def tenant(unique: Callable[[str], str]) -> str:
    return unique("tenant")


async def staged(session: AsyncSession, campaign_id: uuid.UUID) -> list[Envelope]:
    rows = await session.execute(
        select(outbox.c.topic, outbox.c.value)
        .where(outbox.c.key == str(campaign_id))
        .order_by(outbox.c.id)
    )
    envelopes = []
    for topic, value in rows:
        assert topic == "campaign.changed"
        envelopes.append(decode(value))
    return envelopes


async def create(session: AsyncSession, tenant_id: str, **values: object) -> service.CampaignRow:
    body = CampaignIn.model_validate({"name": "Spring Sale", **values})
    return await service.create(session, tenant_id=tenant_id, body=body)


async def test_creating_a_campaign_stages_the_whole_campaign(db_session, tenant):
    created = await create(
        db_session,
        tenant,
        kind="promotion",
        brand_id="brand-1",
        starts_at=T0.isoformat(),
        ends_at=(T0 + timedelta(days=7)).isoformat(),
        utm_campaign="spring_26",
        utm_medium="paid-social",
        cost_amount="1500.5",
        currency="eur",
    )

    [envelope] = await staged(db_session, created.id)
    assert envelope.type == "publisher.campaign.changed"
    assert (envelope.tenantid, envelope.subject, envelope.source) == (
        tenant,
        str(created.id),
        "/beacon/publisher",
    )
    assert envelope.payload(CampaignChanged) == CampaignChanged(
        campaign_id=created.id,
        brand_id="brand-1",
        name="Spring Sale",
        kind="promotion",
        utm_campaign="spring_26",
        utm_medium="paid-social",
        starts_at=T0,
        ends_at=T0 + timedelta(days=7),
        cost_amount="1500.50",
        currency="EUR",
        archived=False,
        changed_at=created.updated_at,
    )


async def test_an_update_stages_the_campaign_as_it_now_stands(db_session, tenant):
    created = await create(db_session, tenant, cost_amount="100", currency="USD")

    changed = await service.update(
        db_session,
        tenant_id=tenant,
        campaign_id=created.id,
        patch=CampaignPatch.model_validate({"name": "Summer Sale", "cost_amount": "250.25"}),
    )

    first, second = await staged(db_session, created.id)
    payload = second.payload(CampaignChanged)
    assert (payload.name, payload.cost_amount, payload.currency) == (
        "Summer Sale",
        "250.25",
        "USD",
    )
    assert payload.utm_campaign == created.utm_campaign == "spring-sale"
    assert payload.changed_at == changed.updated_at
    assert payload.changed_at > first.payload(CampaignChanged).changed_at


async def test_archiving_stages_the_archived_campaign_once(db_session, tenant):
    created = await create(db_session, tenant)

    archived = await service.archive(db_session, tenant_id=tenant, campaign_id=created.id)
    await service.archive(db_session, tenant_id=tenant, campaign_id=created.id)

    envelopes = await staged(db_session, created.id)
    assert [e.payload(CampaignChanged).archived for e in envelopes] == [False, True]
    assert envelopes[-1].payload(CampaignChanged).changed_at == archived.updated_at


async def test_an_update_changing_nothing_stages_nothing(db_session, tenant):
    created = await create(db_session, tenant)

    await service.update(
        db_session, tenant_id=tenant, campaign_id=created.id, patch=CampaignPatch()
    )

    assert len(await staged(db_session, created.id)) == 1


async def test_a_refused_change_stages_nothing(db_session, tenant):
    await create(db_session, tenant, utm_campaign="taken")
    created = await create(db_session, tenant, name="Other")

    with pytest.raises(UtmCampaignTaken):
        await service.update(
            db_session,
            tenant_id=tenant,
            campaign_id=created.id,
            patch=CampaignPatch.model_validate({"utm_campaign": "taken"}),
        )
    with pytest.raises(CampaignEndsBeforeStart):
        await service.update(
            db_session,
            tenant_id=tenant,
            campaign_id=created.id,
            patch=CampaignPatch.model_validate(
                {"starts_at": T0.isoformat(), "ends_at": T0.isoformat()}
            ),
        )

    assert len(await staged(db_session, created.id)) == 1


async def test_changed_at_moves_forward_even_when_the_clock_is_behind(db_session, tenant):
    created = await create(db_session, tenant)
    # The last change was made by a host whose clock is an hour ahead of this one.
    ahead = datetime.now(UTC) + timedelta(hours=1)
    await db_session.execute(
        update(campaign).where(campaign.c.id == created.id).values(updated_at=ahead)
    )

    changed = await service.update(
        db_session,
        tenant_id=tenant,
        campaign_id=created.id,
        patch=CampaignPatch.model_validate({"cost_amount": Decimal("5"), "currency": "EUR"}),
    )

    assert changed.updated_at > ahead
    assert (await staged(db_session, created.id))[-1].payload(
        CampaignChanged
    ).changed_at == changed.updated_at
