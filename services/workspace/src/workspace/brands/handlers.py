"""Brands configured in the publisher before the registry existed: their settings are adopted."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.publisher import BrandConfigured as PublisherBrandConfigured
from beacon_shared.contracts.topics import BRAND_CONFIGURED
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from workspace.brands import service

log = get_logger(__name__)
GROUP_ID = "workspace.brands"


async def publisher_brand_configured(session: AsyncSession, envelope: Envelope) -> None:
    """Adopt the settings unless the registry holds newer ones."""
    legacy = envelope.payload(PublisherBrandConfigured)
    adopted = await service.adopt(session, tenant_id=envelope.tenantid, legacy=legacy)
    log.info("brand.adopted", tenant_id=envelope.tenantid, brand_id=legacy.brand_id, taken=adopted)


def brands_consumer() -> Consumer:
    """The group reading the publisher's own brand settings (its own events are skipped)."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[BRAND_CONFIGURED.name],
        handlers={PublisherBrandConfigured.event_type: publisher_brand_configured},
    )
