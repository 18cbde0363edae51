"""Consumed bad-buzz alerts: a brand is moderated with heightened care while one is open."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.analytics import AlertRaised, AlertResolved
from beacon_shared.contracts.topics import ALERT_RAISED, ALERT_RESOLVED
from beacon_shared.events import Envelope
from moderation.alerts import service

GROUP_ID = "moderation.alerts"


async def alert_raised(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the alert: the brand's comments are heightened from the next batch on."""
    await service.alert_raised(
        session, tenant_id=envelope.tenantid, alert=envelope.payload(AlertRaised)
    )


async def alert_resolved(session: AsyncSession, envelope: Envelope) -> None:
    """Close the alert: the brand relaxes once none is left open."""
    await service.alert_resolved(
        session, tenant_id=envelope.tenantid, alert=envelope.payload(AlertResolved)
    )


def alerts_consumer() -> Consumer:
    """The group keeping brands' open bad-buzz alerts."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ALERT_RAISED.name, ALERT_RESOLVED.name],
        handlers={
            AlertRaised.event_type: alert_raised,
            AlertResolved.event_type: alert_resolved,
        },
    )
