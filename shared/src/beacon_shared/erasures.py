"""Each service's side of an erasure request: the workspace's `erasure.requested` read in the
service's own group, the author's data erased in the transaction that marks the event handled
(so a redelivery finds it handled), and what was erased, counted by kind, staged in the same
transaction for the workspace's receipt."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.consumer import Consumer, Handler
from beacon_shared.contracts.common import ErasureOutcome
from beacon_shared.contracts.topics import ERASURE_REQUESTED
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.logging import get_logger

log = get_logger(__name__)

# What a service erases for one request (tenant, request): how many of each kind.
Erase = Callable[[AsyncSession, str, ErasureRequested], Awaitable[Mapping[str, int]]]


def erasure_handler(
    erase: Erase, *, completed: type[ErasureOutcome], outbox_table: Table, source: str
) -> Handler:
    """The handler of `erasure.requested`: `erase`, then `completed` (the service's
    `*.erasure.completed`) with the counts, through `outbox_table`."""

    async def erasure_requested(session: AsyncSession, envelope: Envelope) -> None:
        request = envelope.payload(ErasureRequested)
        counts = dict(await erase(session, envelope.tenantid, request))
        report = completed(
            erasure_id=request.erasure_id, erased=counts, completed_at=datetime.now(UTC)
        )
        await outbox.stage(
            session,
            outbox_table,
            [
                Envelope.build(
                    # Each service's completion is an event payload and an outcome.
                    cast(EventPayload, report),
                    tenant_id=envelope.tenantid,
                    subject=str(request.erasure_id),
                    source=source,
                    cause=envelope,
                )
            ],
        )
        log.info("erasure.completed", erasure_id=str(request.erasure_id), **counts)

    return erasure_requested


def erasures_consumer(group_id: str, handler: Handler) -> Consumer:
    """The service's group reading the workspace's erasure requests."""
    return Consumer(
        group_id=group_id,
        topics=[ERASURE_REQUESTED.name],
        handlers={ErasureRequested.event_type: handler},
    )
