"""Conversations as work items: what a caller sees of them and how they change them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.assignees import member_holds
from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from inbox.access import READ, WRITE
from inbox.conversations import events, repository, reviews, search, teams
from inbox.conversations.exceptions import (
    AssigneeNotAllowed,
    ConversationNotFound,
    PersonRequired,
    SnoozeInPast,
    SnoozeWithoutTime,
)
from inbox.conversations.schemas import (
    MINE,
    BulkChange,
    ConversationChange,
    ConversationQuery,
    Filters,
    SearchQuery,
    Status,
)
from inbox.sla import clocks

log = get_logger(__name__)
# The filters the counts kept by brand and assignee answer; any other is counted conversation by
# conversation.
KEPT_COUNTS = frozenset({"brand_id", "assignee"})
# The fields of a search that keep it to brands only (or are no filter): the search keeps to the
# brands by the messages' own, without reading their conversations.
BRAND_ONLY = frozenset({"brand_id", "q", "limit"})


@dataclass(frozen=True)
class Thread:
    """A conversation with its messages and notes."""

    conversation: Row[Any]
    messages: Sequence[Row[Any]]
    notes: Sequence[Row[Any]]


def _assignee(principal: Principal, filters: Filters) -> UUID | str | None:
    """The assignee filter, `me` being the calling member."""
    if filters.assignee != MINE:
        return filters.assignee
    if principal.user_id is None:
        raise PersonRequired("Only a member has conversations of their own: filter on a user id.")
    return principal.user_id


def conditions(
    principal: Principal,
    filters: Filters,
    brand_ids: frozenset[str] | None,
    status: Status | None = None,
) -> list[ColumnElement[bool]]:
    """The filters (and `status`) as conditions, `assignee=me` being the calling member."""
    return repository.visible(
        tenant_id=principal.tenant_id,
        filters=filters,
        assignee=_assignee(principal, filters),
        brand_ids=brand_ids,
        status=None if status is None else status.value,
    )


async def list_page(
    session: AsyncSession,
    *,
    principal: Principal,
    query: ConversationQuery,
    brand_ids: frozenset[str] | None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of conversations (of `brand_ids` unless None), the latest activity first, and the
    cursor of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_page(
        session,
        where=conditions(principal, query, brand_ids, query.status),
        after=after,
        limit=query.limit + 1,
    )
    return split_page(rows, query.limit, at="last_message_at")


async def counts(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: Filters,
    brand_ids: frozenset[str] | None,
) -> dict[str, int]:
    """How many conversations have each status, within the filters: from the counts kept by
    brand and assignee when no other filter is set."""
    if all(getattr(filters, name) is None for name in Filters.model_fields.keys() - KEPT_COUNTS):
        return await repository.count_kept(
            session,
            tenant_id=principal.tenant_id,
            brand_ids=brand_ids,
            brand_id=filters.brand_id,
            assignee=_assignee(principal, filters),
        )
    return await repository.count_by_status(
        session, where=conditions(principal, filters, brand_ids)
    )


async def find(
    session: AsyncSession,
    *,
    principal: Principal,
    query: SearchQuery,
    brand_ids: frozenset[str] | None,
) -> Sequence[Row[Any]]:
    """The conversations whose messages match the query's words, best first."""
    others = (name for name in SearchQuery.model_fields if name not in BRAND_ONLY)
    where = None
    if any(getattr(query, name) is not None for name in others):
        where = conditions(principal, query, brand_ids, query.status)
    if query.brand_id is not None:
        brand_ids = frozenset({query.brand_id})
    return await search.search(
        session,
        tenant_id=principal.tenant_id,
        brand_ids=brand_ids,
        where=where,
        words=query.q,
        limit=query.limit,
    )


async def get(session: AsyncSession, *, principal: Principal, conversation_id: UUID) -> Row[Any]:
    """A conversation the caller may read, or ConversationNotFound."""
    row = await repository.get(
        session, tenant_id=principal.tenant_id, conversation_id=conversation_id
    )
    if row is None or not principal.allows_on(READ, row.brand_id):
        raise ConversationNotFound(f"No conversation {conversation_id}.")
    return row


async def thread(session: AsyncSession, *, principal: Principal, conversation_id: UUID) -> Thread:
    """A conversation the caller may read, with its messages and its notes."""
    row = await get(session, principal=principal, conversation_id=conversation_id)
    return Thread(
        row,
        await repository.messages_of(session, conversation_id=row.id),
        await repository.notes_of(session, conversation_id=row.id),
    )


async def _changeable(
    session: AsyncSession, principal: Principal, conversation_id: UUID
) -> Row[Any]:
    """A conversation the caller may read (else not found) and change (else 403)."""
    row = await get(session, principal=principal, conversation_id=conversation_id)
    require_on(principal, WRITE, row.brand_id)
    return row


async def change(
    session: AsyncSession,
    *,
    principal: Principal,
    conversation_id: UUID,
    data: ConversationChange,
    now: datetime | None = None,
) -> Row[Any]:
    """Apply the fields `data` sets: status (a snooze until a future time), assignee (a member
    allowed to answer on the brand), team, priority, labels."""
    now = now or datetime.now(UTC)
    found = await _changeable(session, principal, conversation_id)
    values = await values_of(session, principal, data, {found.brand_id}, now)
    if "labels" in data.model_fields_set:
        values["labels"] = sorted(set(data.labels or ()))
    if not values:
        return found
    row = await repository.change(
        session,
        tenant_id=principal.tenant_id,
        conversation_id=conversation_id,
        values=values | {"updated_at": now},
    )
    assert row is not None  # read above in this transaction
    if values.get("status") == Status.resolved.value:
        row = await clocks.resolved(session, row=row, at=now, by=principal.actor)
        await reviews.resolved(
            session, tenant_id=principal.tenant_id, rows=[row], by=principal.actor, at=now
        )
    await events.changed(session, before=[found], after=[row], by=principal.actor)
    log.info(
        "conversation.changed",
        tenant_id=principal.tenant_id,
        conversation_id=str(conversation_id),
        fields=sorted(values),
        actor=principal.actor,
    )
    return row


async def values_of(
    session: AsyncSession,
    principal: Principal,
    data: ConversationChange | BulkChange,
    brand_ids: set[str | None],
    now: datetime,
) -> dict[str, Any]:
    """The columns the fields `data` sets but the labels, for conversations of `brand_ids`:
    status (a snooze until a future time), assignee (a member allowed to answer on each brand),
    team (one of the organization's), priority."""
    given = data.model_fields_set
    values: dict[str, Any] = {}
    if "status" in given or "snoozed_until" in given:
        values |= _status(data, now)
    if "assignee" in given:
        if data.assignee is not None:
            for brand_id in sorted(brand_ids, key=lambda b: b or ""):
                await _check_assignee(session, principal, brand_id, data.assignee)
        values |= {"assignee": data.assignee, "assigned_by": principal.actor}
    if "team_id" in given:
        if data.team_id is not None:
            await teams.check(session, tenant_id=principal.tenant_id, team_id=data.team_id)
        values["team_id"] = data.team_id
    if "priority" in given:
        values["priority"] = None if data.priority is None else data.priority.value
    return values


def _status(data: ConversationChange | BulkChange, now: datetime) -> dict[str, Any]:
    if data.status is not Status.snoozed:
        if data.snoozed_until is not None:
            raise SnoozeWithoutTime("snoozed_until goes with status snoozed only.")
        if data.status is None:
            return {}
        if data.status is Status.resolved:
            # Resolved: answered, or nothing to answer; nobody waits until the next message.
            return {
                "status": "resolved",
                "snoozed_until": None,
                "resolved_at": now,
                "waiting_since": None,
            }
        return {"status": data.status.value, "snoozed_until": None, "resolved_at": None}
    if data.snoozed_until is None:
        raise SnoozeWithoutTime("A snooze needs snoozed_until: when the conversation opens again.")
    if data.snoozed_until <= now:
        raise SnoozeInPast(
            f"snoozed_until {data.snoozed_until.isoformat()} is not in the future "
            f"(now is {now.isoformat()})."
        )
    return {"status": Status.snoozed.value, "snoozed_until": data.snoozed_until}


async def _check_assignee(
    session: AsyncSession, principal: Principal, brand_id: str | None, user_id: UUID
) -> None:
    if not await member_holds(
        session, tenant_id=principal.tenant_id, brand_id=brand_id, user_id=user_id, scope=WRITE
    ):
        where = f"the brand {brand_id!r}" if brand_id is not None else "every brand"
        raise AssigneeNotAllowed(
            f"{user_id} is not a member of this organization who may answer on {where}."
        )


async def add_note(
    session: AsyncSession, *, principal: Principal, conversation_id: UUID, text: str
) -> Row[Any]:
    """A private note on a conversation the caller may change, signed by them."""
    await _changeable(session, principal, conversation_id)
    return await repository.add_note(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": principal.tenant_id,
            "conversation_id": conversation_id,
            "author": principal.actor,
            "text": text,
            "created_at": datetime.now(UTC),
        },
    )


async def fold_counts(session: AsyncSession, *, limit: int = 10_000) -> int:
    """Fold the changes to the kept counts into their totals, so a count reads few rows."""
    return await repository.fold_counts(session, limit=limit)


async def wake_snoozed(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Open again conversations whose snooze has ended; how many."""
    woken = await repository.wake_snoozed(session, now=now, limit=limit)
    if woken:
        await events.woken(session, woken)
        log.info("conversation.snooze_ended", count=len(woken))
    return len(woken)


async def messages_of_contact(
    session: AsyncSession, *, tenant_id: str, contact_id: UUID, cursor: str | None, limit: int
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of a contact's messages, the newest first, and the cursor of the next one."""
    after = Cursor.decode(cursor) if cursor else None
    rows = await repository.messages_of_contact(
        session, tenant_id=tenant_id, contact_id=contact_id, after=after, limit=limit + 1
    )
    return split_page(rows, limit, at="created_at")


async def contact_sentiment_by_day(
    session: AsyncSession, *, tenant_id: str, contact_id: UUID, since: datetime
) -> Sequence[Row[Any]]:
    """(day, sentiment, messages) of a contact's messages since `since`."""
    return await repository.contact_sentiment_by_day(
        session, tenant_id=tenant_id, contact_id=contact_id, since=since
    )


async def move_contact(
    session: AsyncSession, *, tenant_id: str, from_id: UUID, to_id: UUID
) -> None:
    """A merged contact's messages and conversations become the other's."""
    await repository.move_contact(session, tenant_id=tenant_id, from_id=from_id, to_id=to_id)
