"""Each brand's time zone from `brand.configured` (the workspace's, or the publisher's older
events on the same topic): the zone a policy without one counts its hours in. The latest
configuration of a brand wins, whichever event arrives first."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts import publisher, workspace
from beacon_shared.contracts.topics import BRAND_CONFIGURED
from beacon_shared.events import Envelope, MalformedEvent
from beacon_shared.zones import InvalidTimeZone, zone
from inbox.sla.models import brand_zone

GROUP = "inbox.brands"
_CONTRACTS: dict[str, type[publisher.BrandConfigured] | type[workspace.BrandConfigured]] = {
    publisher.BrandConfigured.event_type: publisher.BrandConfigured,
    workspace.BrandConfigured.event_type: workspace.BrandConfigured,
}


async def brand_configured(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the brand's zone unless a later configuration is kept; an unknown zone is a
    malformed event (dead-lettered)."""
    brand = envelope.payload(_CONTRACTS[envelope.type])
    try:
        zone(brand.timezone)
    except InvalidTimeZone as exc:
        raise MalformedEvent(f"brand.configured names an unknown time zone: {exc}") from exc
    z = brand_zone.c
    new = insert(brand_zone).values(
        tenant_id=envelope.tenantid,
        brand_id=brand.brand_id,
        timezone=brand.timezone,
        configured_at=brand.configured_at,
    )
    await session.execute(
        new.on_conflict_do_update(
            index_elements=[z.tenant_id, z.brand_id],
            set_={"timezone": new.excluded.timezone, "configured_at": new.excluded.configured_at},
            where=z.configured_at < new.excluded.configured_at,
        )
    )


def brands_consumer() -> Consumer:
    """The group keeping the brands' zones."""
    return Consumer(
        group_id=GROUP,
        topics=[BRAND_CONFIGURED.name],
        handlers=dict.fromkeys(_CONTRACTS, brand_configured),
    )
