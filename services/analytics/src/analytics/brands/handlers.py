"""brand.configured keeps each brand's time zone, from the workspace or, in older events, from
the publisher."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.brands import service
from analytics.rollups.facts import Fact
from beacon_shared.contracts import publisher, workspace
from beacon_shared.events import Envelope, MalformedEvent
from beacon_shared.logging import get_logger

log = get_logger(__name__)

# Both producers' events carry the brand, its zone and when it was configured; the topic holds
# the publisher's older ones beside the workspace's.
_CONTRACTS: dict[str, type[publisher.BrandConfigured] | type[workspace.BrandConfigured]] = {
    publisher.BrandConfigured.event_type: publisher.BrandConfigured,
    workspace.BrandConfigured.event_type: workspace.BrandConfigured,
}


async def brand_configured(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """Record the zones (no facts), the latest configuration of each brand winning whichever
    service sent it; an unknown zone name is a malformed event (dead-lettered)."""
    configurations = []
    for envelope in envelopes:
        brand = envelope.payload(_CONTRACTS[envelope.type])
        configurations.append(
            (envelope.tenantid, brand.brand_id, brand.timezone, brand.configured_at)
        )
    try:
        changed = await service.configure(session, configurations)
    except service.UnknownZone as exc:
        raise MalformedEvent(f"brand.configured names an unknown time zone: {exc}") from exc
    log.debug("brands.configured", events=len(envelopes), changed=changed)
    return []
