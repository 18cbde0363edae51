"""Each service's report of an erasure, added to the request's receipt."""

from __future__ import annotations

from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer, Handler
from beacon_shared.contracts import analytics, inbox, ingest, moderation
from beacon_shared.contracts.common import ErasureOutcome
from beacon_shared.contracts.topics import ERASURE_COMPLETED
from beacon_shared.events import Envelope, EventPayload
from workspace.erasures import service

GROUP_ID = "workspace.erasures"
# Each service's report, by the name the receipt shows it under.
COMPLETIONS: dict[str, type[EventPayload]] = {
    "ingest": ingest.ErasureCompleted,
    "moderation": moderation.ErasureCompleted,
    "analytics": analytics.ErasureCompleted,
    "inbox": inbox.ErasureCompleted,
}


def _handler(name: str) -> Handler:
    model = COMPLETIONS[name]

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        # Every model of COMPLETIONS is an ErasureOutcome.
        outcome = cast(ErasureOutcome, envelope.payload(model))
        await service.report(session, tenant_id=envelope.tenantid, service=name, outcome=outcome)

    return handle


def erasures_consumer() -> Consumer:
    """The group reading every service's `<service>.erasure.completed`."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ERASURE_COMPLETED.name],
        handlers={model.event_type: _handler(name) for name, model in COMPLETIONS.items()},
    )
