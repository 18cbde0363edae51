"""The inbox's SLA events, kept one row each (a replayed event inserts nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.sla.models import sla_breach, sla_measure
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.inbox import ResolutionRecorded, ResponseRecorded, SlaBreached
from beacon_shared.contracts.topics import RESOLUTION_RECORDED, RESPONSE_RECORDED, SLA_BREACHED
from beacon_shared.events import Envelope

GROUP_ID = "analytics.sla"


async def measured(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """inbox.response.recorded and inbox.resolution.recorded: one row per clock stopped."""
    rows = []
    for envelope in envelopes:
        done: ResponseRecorded | ResolutionRecorded = (
            envelope.payload(ResponseRecorded)
            if envelope.type == ResponseRecorded.event_type
            else envelope.payload(ResolutionRecorded)
        )
        rows.append(
            {
                "event_id": envelope.id,
                "tenant_id": envelope.tenantid,
                "brand_id": done.brand_id or "",
                "network": done.network.value,
                "member_id": done.member_id,
                "target": done.target,
                "conversation_id": done.conversation_id,
                "stopped_at": done.stopped_at,
                "business_seconds": done.business_seconds,
                "target_seconds": done.target_seconds,
                "met": done.met,
            }
        )
    await session.execute(insert(sla_measure).on_conflict_do_nothing(), rows)


async def breached(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """inbox.sla.breached: one row per breach."""
    rows = []
    for envelope in envelopes:
        breach = envelope.payload(SlaBreached)
        rows.append(
            {
                "breach_id": breach.breach_id,
                "tenant_id": envelope.tenantid,
                "brand_id": breach.brand_id or "",
                "network": breach.network.value,
                "member_id": breach.assignee,
                "target": breach.target,
                "conversation_id": breach.conversation_id,
                "due_at": breach.due_at,
            }
        )
    await session.execute(insert(sla_breach).on_conflict_do_nothing(), rows)


def sla_consumer() -> Consumer:
    """Its own group, so a backlog of the rollups never delays the service levels."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[RESPONSE_RECORDED.name, RESOLUTION_RECORDED.name, SLA_BREACHED.name],
        batch_handlers={
            ResponseRecorded.event_type: measured,
            ResolutionRecorded.event_type: measured,
            SlaBreached.event_type: breached,
        },
    )
