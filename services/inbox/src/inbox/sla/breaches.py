"""The breach pass: conversations whose SLA clock ran past its due time raise
`inbox.sla.breached`, once per clock, and count in `beacon_inbox_sla_breaches_total`.

Each pass claims the conversations whose alarm is due (`beacon_shared.leases.claim`: the rows no
other transaction holds, `FOR UPDATE SKIP LOCKED`, so replicas share the work) and moves each
alarm to its next running clock's due time in the same statement. A breach is a row of
`sla_breach`, unique per conversation, clock and start: a pass run again (a replica, a retry
after a crash, an alarm set again by a new message) finds it there and sends nothing twice. The
event is staged in the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Row
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.inbox import SlaBreached
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from inbox.conversations import sla_columns
from inbox.db import SOURCE
from inbox.db import outbox as outbox_table
from inbox.events_out import SLA_BREACHED, Event, publish
from inbox.sla import clocks
from inbox.sla.models import sla_breach
from inbox.sla.targets import RESOLUTION

log = get_logger(__name__)
BREACHES = Counter(
    "beacon_inbox_sla_breaches_total",
    "Inbox SLA clocks that ran past their due time, by target and network.",
    ["target", "network"],
)


async def find(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Raise a breach for every running clock due by `now` among up to `limit` conversations
    whose alarm is due; how many breaches were new."""
    rows = await sla_columns.claim_alarms(session, now=now, limit=limit)
    found = []
    for row in rows:
        if clocks.answered_elsewhere(row):
            # Answered before the pass came: recorded now, its other clock looked at next pass.
            await clocks.settle(session, row=row)
            continue
        found += [
            (row, target, started_at, due_at)
            for target, started_at, due_at in _clocks(row)
            if started_at is not None and due_at is not None and due_at <= now
        ]
    if not found:
        return 0
    values = [
        {
            "id": uuid.uuid4(),
            "tenant_id": row.tenant_id,
            "conversation_id": row.id,
            "target": target,
            "started_at": started_at,
            "due_at": due_at,
            "found_at": now,
        }
        for row, target, started_at, due_at in found
    ]
    b = sla_breach.c
    new = {
        (r.conversation_id, r.target, r.started_at): r.id
        for r in await session.execute(
            insert(sla_breach)
            .values(values)
            .on_conflict_do_nothing(index_elements=[b.conversation_id, b.target, b.started_at])
            .returning(b.id, b.conversation_id, b.target, b.started_at)
        )
    }
    envelopes = []
    sent: list[Event] = []
    for row, target, started_at, due_at in found:
        breach_id = new.get((row.id, target, started_at))
        if breach_id is None:
            continue
        event = SlaBreached(
            breach_id=breach_id,
            conversation_id=row.id,
            brand_id=row.brand_id,
            network=row.network,
            kind=row.kind,
            target=target,
            started_at=started_at,
            due_at=due_at,
            found_at=now,
            assignee=row.assignee,
            team_id=row.team_id,
        )
        envelopes.append(
            Envelope.build(event, tenant_id=row.tenant_id, subject=str(row.id), source=SOURCE)
        )
        sent.append(Event(row.tenant_id, row.brand_id, SLA_BREACHED, event.model_dump(mode="json")))
        BREACHES.labels(target=target, network=row.network).inc()
        log.info(
            "sla.breached",
            tenant_id=row.tenant_id,
            conversation_id=str(row.id),
            target=target,
            due_at=due_at.isoformat(),
        )
    await outbox.stage(session, outbox_table, envelopes)
    # The organization's webhooks and live streams too.
    await publish(session, sent)
    return len(envelopes)


def _clocks(row: Row[Any]) -> list[tuple[str, datetime | None, datetime | None]]:
    """(target, start, due) of the conversation's two clocks."""
    return [
        (row.response_target, row.response_started_at, row.response_due_at),
        (RESOLUTION, row.resolution_started_at, row.resolution_due_at),
    ]
