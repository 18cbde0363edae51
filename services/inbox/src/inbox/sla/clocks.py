"""A conversation's SLA clocks: started by the community's messages, stopped by the brand's
response and by resolving, each measured in the brand's business time when it stops.

Two clocks can run at once. The response clock runs while the community waits for an answer
(`waiting_since`): it is the first response until the brand answered once, the next response
after. The resolution clock runs from the first message since the conversation was last
resolved until it is resolved again. A clock always runs (its time is reported when it stops);
it has a due time only under the brand's policy, set when it starts and kept until it stops.
`sla_due_at` is the earliest due time of the running clocks (the `overdue` filter) and
`sla_alarm_at` when the breach pass looks at the conversation next.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.inbox import ResolutionRecorded, ResponseRecorded
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from inbox.conversations import sla_columns
from inbox.conversations.sla_columns import Clock
from inbox.db import SOURCE
from inbox.db import outbox as outbox_table
from inbox.sla import business_time, policies
from inbox.sla.targets import FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION

log = get_logger(__name__)


def _due(policy: Row[Any] | None, target: str, start: datetime) -> datetime | None:
    seconds = policies.target_seconds(policy, target)
    if seconds is None:
        return None
    return business_time.add(policies.hours_of(policy), start, seconds)


def _earliest(*times: datetime | None) -> datetime | None:
    running = [t for t in times if t is not None]
    return min(running) if running else None


async def started(session: AsyncSession, *, conversation_id: UUID) -> None:
    """After a message from the community is filed: start the response clock at the wait's
    start (again, should an earlier message arrive late), and the resolution clock unless it
    runs; each due under the brand's policy."""
    row = await sla_columns.clocks(session, conversation_id=conversation_id)
    if answered_elsewhere(row):
        # The answer to the last wait is recorded first; a new wait starts the next clock.
        await settle(session, row=row)
        return
    waits = row.waiting_since is not None and row.response_started_at != row.waiting_since
    opens = row.status != "resolved" and row.resolution_started_at is None
    if not waits and not opens:
        return
    policy = await policies.find(session, tenant_id=row.tenant_id, brand_id=row.brand_id)
    response: Clock | None = None
    resolution: Clock | None = None
    if waits:
        target = FIRST_RESPONSE if row.first_response_at is None else NEXT_RESPONSE
        response = Clock(target, row.waiting_since, _due(policy, target, row.waiting_since))
    if opens:
        start = row.waiting_since or row.response_started_at
        if start is not None:
            resolution = Clock(RESOLUTION, start, _due(policy, RESOLUTION, start))
    due = _earliest(
        row.response_due_at if response is None else response.due_at,
        row.resolution_due_at if resolution is None else resolution.due_at,
    )
    await sla_columns.start(
        session,
        conversation_id=conversation_id,
        response=response,
        resolution=resolution,
        due_at=due,
    )


async def record_response(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_id: UUID,
    responded_at: datetime,
    responded_by: str | None,
) -> ResponseRecorded | None:
    """The brand answered the conversation at `responded_at` (through Beacon, `responded_by`
    `user:<id>` or `key:<id>`, or natively on the network, None): nobody waits any more, the
    response clock stops and `inbox.response.recorded` says how long it ran in business time
    and whether it met its target. Nothing when nobody was waiting since before the answer (an
    answer already recorded, or one older than the wait); what was recorded otherwise."""
    row = await sla_columns.locked_clocks(
        session, tenant_id=tenant_id, conversation_id=conversation_id
    )
    if row is None:
        return None
    start = row.response_started_at or row.waiting_since
    if start is None or responded_at < start:
        return None
    target = row.response_target or (
        FIRST_RESPONSE if row.first_response_at is None else NEXT_RESPONSE
    )
    policy = await policies.find(session, tenant_id=tenant_id, brand_id=row.brand_id)
    recorded = ResponseRecorded(
        **_measure(row, policy, target, start, responded_at, row.response_due_at, responded_by),
        responded_by=responded_by,
    )
    await sla_columns.answered(
        session,
        conversation_id=conversation_id,
        first_response_at=row.first_response_at or responded_at,
        due_at=row.resolution_due_at,
    )
    await _publish(session, tenant_id, conversation_id, recorded)
    if row.last_inbound_at > responded_at:
        await _waiting_again(session, conversation_id, responded_at)
    return recorded


async def _waiting_again(
    session: AsyncSession, conversation_id: UUID, answered_at: datetime
) -> None:
    """Messages filed before an answer that was recorded late, but written after it, still
    wait: from the earliest of them, on the next response's clock."""
    await sla_columns.waiting_again(
        session, conversation_id=conversation_id, answered_at=answered_at
    )
    await started(session, conversation_id=conversation_id)


def answered_elsewhere(row: Row[Any]) -> bool:
    """Whether the response clock runs though the wait it times ended (cleared by whoever filed
    the brand's answer, or a new wait began after it)."""
    return row.response_started_at is not None and (
        row.waiting_since is None or row.waiting_since > row.response_started_at
    )


async def settle(session: AsyncSession, *, row: Row[Any]) -> None:
    """Stop a response clock whose wait ended without `record_response`: the brand's first
    answer since the clock started (sent, or made on the network) is its response; without one,
    the clock stops unrecorded. A wait begun since starts the next clock."""
    answer = await sla_columns.first_answer(
        session, conversation_id=row.id, since=row.response_started_at
    )
    if answer is not None:
        await record_response(
            session,
            tenant_id=row.tenant_id,
            conversation_id=row.id,
            responded_at=answer.created_at,
            responded_by=answer.sent_by,
        )
        return
    await sla_columns.response_stopped(session, conversation_id=row.id)
    if row.waiting_since is not None:
        await started(session, conversation_id=row.id)


async def resolved(session: AsyncSession, *, row: Row[Any], at: datetime, by: str) -> Row[Any]:
    """The conversation `row` was just resolved at `at` by `by`: both clocks stop, the response
    clock unanswered (no response is recorded), and `inbox.resolution.recorded` says how long
    the resolution took in business time and whether it met its target. The row after."""
    start = row.resolution_started_at
    after = await sla_columns.all_stopped(session, conversation_id=row.id)
    if start is not None:
        policy = await policies.find(session, tenant_id=row.tenant_id, brand_id=row.brand_id)
        recorded = ResolutionRecorded(
            **_measure(row, policy, RESOLUTION, start, at, row.resolution_due_at, by),
            resolved_by=by,
        )
        await _publish(session, row.tenant_id, row.id, recorded)
    return after


def _measure(
    row: Row[Any],
    policy: Row[Any] | None,
    target: str,
    start: datetime,
    stop: datetime,
    due: datetime | None,
    by: str | None,
) -> dict[str, Any]:
    """The fields of a stopped clock's event."""
    return {
        "conversation_id": row.id,
        "brand_id": row.brand_id,
        "network": row.network,
        "kind": row.kind,
        "target": target,
        "started_at": start,
        "stopped_at": stop,
        "business_seconds": business_time.elapsed(policies.hours_of(policy), start, stop),
        "calendar_seconds": max(0.0, (stop - start).total_seconds()),
        "target_seconds": policies.target_seconds(policy, target),
        "due_at": due,
        "met": None if due is None else stop <= due,
        "member_id": _member(by) or row.assignee,
    }


def _member(actor: str | None) -> UUID | None:
    """The member behind `user:<id>`; None for a key or the network."""
    if actor is None or not actor.startswith("user:"):
        return None
    try:
        return uuid.UUID(actor.removeprefix("user:"))
    except ValueError:
        return None


async def _publish(
    session: AsyncSession,
    tenant_id: str,
    conversation_id: UUID,
    recorded: ResponseRecorded | ResolutionRecorded,
) -> None:
    await outbox.stage(
        session,
        outbox_table,
        [
            Envelope.build(
                recorded, tenant_id=tenant_id, subject=str(conversation_id), source=SOURCE
            )
        ],
    )
    log.info(
        "sla.clock_stopped",
        tenant_id=tenant_id,
        conversation_id=str(conversation_id),
        target=recorded.target,
        business_seconds=recorded.business_seconds,
        met=recorded.met,
    )
