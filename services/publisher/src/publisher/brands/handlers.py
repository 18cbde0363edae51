"""Consumed brand settings and bad-buzz alerts: the workspace's settings of each brand are kept
(a deleted brand's posts not yet out are cancelled), and each alert becomes a webhook and, when
the brand asked for it (pause_on_alert), pauses the brand's queue while open."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.analytics import AlertRaised, AlertResolved
from beacon_shared.contracts.topics import ALERT_RAISED, ALERT_RESOLVED, BRAND_CONFIGURED
from beacon_shared.contracts.workspace import BrandConfigured
from beacon_shared.events import Envelope
from publisher.authoring import workflow
from publisher.brands import service
from publisher.webhooks import service as webhooks

GROUP_ID = "publisher.alerts"
BRANDS_GROUP_ID = "publisher.brands"


async def brand_configured(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the brand's newest settings; when it was deleted, cancel its posts not yet out."""
    brand = envelope.payload(BrandConfigured)
    taken = await service.configure(session, tenant_id=envelope.tenantid, brand=brand)
    if taken and brand.deleted:
        await workflow.cancel_brand(session, tenant_id=envelope.tenantid, brand_id=brand.brand_id)


async def alert_raised(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the alert (pausing the brand if it asked) and notify the tenant's endpoints."""
    alert = envelope.payload(AlertRaised)
    paused = await service.alert_raised(session, tenant_id=envelope.tenantid, alert=alert)
    await webhooks.notify(
        session,
        tenant_id=envelope.tenantid,
        event_type="alert.raised",
        data={**alert.model_dump(mode="json"), "publishing_paused": paused},
        brand_id=alert.brand_id,
    )


async def alert_resolved(session: AsyncSession, envelope: Envelope) -> None:
    """Close the alert (resuming the brand unless another keeps it paused) and notify."""
    alert = envelope.payload(AlertResolved)
    paused = await service.alert_resolved(session, tenant_id=envelope.tenantid, alert=alert)
    await webhooks.notify(
        session,
        tenant_id=envelope.tenantid,
        event_type="alert.resolved",
        data={**alert.model_dump(mode="json"), "publishing_paused": paused},
        brand_id=alert.brand_id,
    )


def alerts_consumer() -> Consumer:
    """The group turning analytics' bad-buzz alerts into webhooks and queue pauses."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ALERT_RAISED.name, ALERT_RESOLVED.name],
        handlers={
            AlertRaised.event_type: alert_raised,
            AlertResolved.event_type: alert_resolved,
        },
    )


def brands_consumer() -> Consumer:
    """The group keeping the workspace's brand settings (the publisher's own older
    `publisher.brand.configured` events on the topic are skipped)."""
    return Consumer(
        group_id=BRANDS_GROUP_ID,
        topics=[BRAND_CONFIGURED.name],
        handlers={BrandConfigured.event_type: brand_configured},
    )
