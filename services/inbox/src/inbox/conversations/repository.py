"""SQL of conversations: lists, counts, one conversation with its thread, changes and notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Result,
    Row,
    Table,
    delete,
    func,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from inbox.conversations.models import (
    FOR_REVIEW,
    STATUSES,
    conversation,
    decision,
    message,
    note,
    status_count,
    status_count_change,
    team,
)
from inbox.conversations.schemas import UNASSIGNED, Filters


def _scope(
    table: Table,
    *,
    tenant_id: str,
    brand_ids: frozenset[str] | None,
    brand_id: str | None,
    assignee: UUID | str | None,
) -> list[ColumnElement[bool]]:
    """The tenant, brands and assignee conditions on a table with those columns."""
    t = table.c
    where: list[ColumnElement[bool]] = [t.tenant_id == tenant_id]
    if brand_ids is not None:
        where.append(t.brand_id.in_(brand_ids))
    if brand_id is not None:
        where.append(t.brand_id == brand_id)
    if assignee == UNASSIGNED:
        where.append(t.assignee.is_(None))
    elif assignee is not None:
        where.append(t.assignee == assignee)
    return where


def visible(
    *,
    tenant_id: str,
    filters: Filters,
    assignee: UUID | str | None,
    brand_ids: frozenset[str] | None,
    status: str | None = None,
) -> list[ColumnElement[bool]]:
    """The conditions of the filters on `conversation`; `assignee` is a user id, `unassigned` or
    None, and `brand_ids` the brands the caller may read (None: every row)."""
    c = conversation.c
    where = _scope(
        conversation,
        tenant_id=tenant_id,
        brand_ids=brand_ids,
        brand_id=filters.brand_id,
        assignee=assignee,
    )
    if status is not None:
        where.append(c.status == status)
    if filters.network is not None:
        where.append(c.network == filters.network.value)
    if filters.kind == "review":
        where.append(c.review_count > 0)
    elif filters.kind is not None:
        where.append(c.kind == filters.kind.value)
    if filters.label is not None:
        where.append(c.labels.contains([filters.label]))
    if filters.priority is not None:
        where.append(c.priority == filters.priority.value)
    if filters.team_id is not None:
        where.append(c.team_id == filters.team_id)
    if filters.sentiment is not None:
        where.append(c.sentiment == filters.sentiment.value)
    if filters.waiting is not None:
        where.append(c.waiting_since.is_not(None) if filters.waiting else c.waiting_since.is_(None))
    if filters.overdue is not None:
        # Read from the clock the caller runs on, not the database's.
        late = c.sla_due_at <= datetime.now(UTC)
        where.append(late if filters.overdue else or_(c.sla_due_at.is_(None), ~late))
    if filters.contact_id is not None:
        where.append(c.contact_id == filters.contact_id)
    if filters.intent is not None:
        where.append(c.intents.contains([filters.intent]))
    return where


async def list_page(
    session: AsyncSession,
    *,
    where: Sequence[ColumnElement[bool]],
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to `limit` conversations, the latest activity first, strictly after `after`."""
    c = conversation.c
    stmt = select(conversation).where(*where)
    if after is not None:
        stmt = stmt.where(tuple_(c.last_message_at, c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(c.last_message_at.desc(), c.id.desc()).limit(limit)
    return (await session.execute(stmt)).all()


async def count_by_status(
    session: AsyncSession, *, where: Sequence[ColumnElement[bool]]
) -> dict[str, int]:
    """How many conversations within `where` have each status, counted one by one."""
    return _by_status(
        await session.execute(
            select(conversation.c.status, func.count())
            .where(*where)
            .group_by(conversation.c.status)
        )
    )


async def count_kept(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_ids: frozenset[str] | None,
    brand_id: str | None,
    assignee: UUID | str | None,
) -> dict[str, int]:
    """How many conversations have each status, from the counts kept by brand and assignee: the
    folded totals and the changes not folded yet."""
    parts = [
        select(t.c.status, t.c.n).where(
            *_scope(
                t, tenant_id=tenant_id, brand_ids=brand_ids, brand_id=brand_id, assignee=assignee
            )
        )
        for t in (status_count, status_count_change)
    ]
    both = union_all(*parts).subquery()
    return _by_status(
        await session.execute(select(both.c.status, func.sum(both.c.n)).group_by(both.c.status))
    )


def _by_status(rows: Result[str, int]) -> dict[str, int]:
    """Every status named, zero included."""
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


async def fold_counts(session: AsyncSession, *, limit: int) -> int:
    """Fold up to `limit` of the oldest count changes into the totals; how many. Concurrent
    passes take different changes (SKIP LOCKED) and add to the totals in one order."""
    ch = status_count_change.c
    dimensions = (ch.tenant_id, ch.brand_id, ch.assignee, ch.status)
    batch = (
        select(ch.id).order_by(ch.id).limit(limit).with_for_update(skip_locked=True)
    ).scalar_subquery()
    gone = (
        delete(status_count_change).where(ch.id.in_(batch)).returning(*dimensions, ch.n).cte("gone")
    )
    keys = [gone.c.tenant_id, gone.c.brand_id, gone.c.assignee, gone.c.status]
    add = insert(status_count).from_select(
        ["tenant_id", "brand_id", "assignee", "status", "n"],
        select(*keys, func.sum(gone.c.n)).group_by(*keys).order_by(*keys),
    )
    totals = add.on_conflict_do_update(
        constraint="uq_status_count", set_={"n": status_count.c.n + add.excluded.n}
    ).cte("totals")
    folded: int = await session.scalar(select(func.count()).select_from(gone).add_cte(totals)) or 0
    return folded


async def get(session: AsyncSession, *, tenant_id: str, conversation_id: UUID) -> Row[Any] | None:
    """One conversation of the tenant."""
    row: Row[Any] | None = (
        await session.execute(
            select(conversation).where(
                conversation.c.tenant_id == tenant_id, conversation.c.id == conversation_id
            )
        )
    ).first()
    return row


async def get_many(
    session: AsyncSession, *, tenant_id: str, conversation_ids: Sequence[UUID]
) -> Sequence[Row[Any]]:
    """The tenant's conversations among `conversation_ids`, locked until the transaction ends
    (in id order, so two bulk changes never wait on each other in a circle)."""
    c = conversation.c
    return (
        await session.execute(
            select(conversation)
            .where(c.tenant_id == tenant_id, c.id.in_(conversation_ids))
            .order_by(c.id)
            .with_for_update()
        )
    ).all()


async def messages_of(session: AsyncSession, *, conversation_id: UUID) -> Sequence[Row[Any]]:
    """A conversation's messages in the order they were written, each with its decision."""
    m, d = message.c, decision.c
    stmt = (
        select(
            message,
            d.decision_id,
            d.action,
            d.decided_by,
            d.decided_at,
        )
        .outerjoin(decision, (d.tenant_id == m.tenant_id) & (d.interaction_id == m.interaction_id))
        .where(m.conversation_id == conversation_id)
        .order_by(m.created_at, m.id)
    )
    return (await session.execute(stmt)).all()


async def notes_of(session: AsyncSession, *, conversation_id: UUID) -> Sequence[Row[Any]]:
    """A conversation's private notes, oldest first."""
    return (
        await session.execute(
            select(note)
            .where(note.c.conversation_id == conversation_id)
            .order_by(note.c.created_at, note.c.id)
        )
    ).all()


async def change(
    session: AsyncSession, *, tenant_id: str, conversation_id: UUID, values: Mapping[str, Any]
) -> Row[Any] | None:
    """Set columns of one conversation; its row after."""
    row: Row[Any] | None = (
        await session.execute(
            update(conversation)
            .where(conversation.c.tenant_id == tenant_id, conversation.c.id == conversation_id)
            .values(**values)
            .returning(conversation)
        )
    ).first()
    return row


async def add_team(session: AsyncSession, values: Mapping[str, Any]) -> Row[Any] | None:
    """Insert a team; its row, or None when the organization has one of that name."""
    row: Row[Any] | None = (
        await session.execute(
            insert(team).values(**values).on_conflict_do_nothing().returning(team)
        )
    ).first()
    return row


async def teams_page(
    session: AsyncSession, *, tenant_id: str, after: Cursor | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to `limit` of the tenant's teams, the oldest first, strictly after `after`."""
    t = team.c
    stmt = select(team).where(t.tenant_id == tenant_id)
    if after is not None:
        stmt = stmt.where(tuple_(t.created_at, t.id) > tuple_(after.at, after.id))
    return (await session.execute(stmt.order_by(t.created_at, t.id).limit(limit))).all()


async def team_exists(session: AsyncSession, *, tenant_id: str, team_id: UUID) -> bool:
    """Whether the tenant has this team."""
    found = await session.scalar(
        select(team.c.id).where(team.c.tenant_id == tenant_id, team.c.id == team_id)
    )
    return found is not None


async def add_note(session: AsyncSession, values: Mapping[str, Any]) -> Row[Any]:
    """Insert a note; its row."""
    row: Row[Any] = (await session.execute(insert(note).values(**values).returning(note))).one()
    return row


async def wake_snoozed(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Open again up to `limit` conversations whose snooze ended by `now`; their ids, tenants
    and brands."""
    c = conversation.c
    due = (
        select(c.id)
        .where(c.status == "snoozed", c.snoozed_until <= now)
        .order_by(c.snoozed_until)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await session.execute(
        update(conversation)
        .where(c.id.in_(due))
        .values(status="open", snoozed_until=None, updated_at=now)
        .returning(c.id, c.tenant_id, c.brand_id)
    )
    return list(result.all())


async def messages_of_contact(
    session: AsyncSession, *, tenant_id: str, contact_id: UUID, after: Cursor | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to `limit` of a contact's messages across their conversations, the newest first,
    strictly after `after`, each with its conversation's network and its decision."""
    m, c, d = message.c, conversation.c, decision.c
    stmt = (
        select(m.id, m.conversation_id, m.kind, m.text, m.language, m.created_at, c.network)
        .add_columns(d.action, d.sentiment)
        .join(conversation, c.id == m.conversation_id)
        .outerjoin(decision, (d.tenant_id == m.tenant_id) & (d.interaction_id == m.interaction_id))
        .where(m.tenant_id == tenant_id, m.contact_id == contact_id)
    )
    if after is not None:
        stmt = stmt.where(tuple_(m.created_at, m.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(m.created_at.desc(), m.id.desc()).limit(limit)
    result: Result[Any] = await session.execute(stmt)
    return result.all()


async def contact_sentiment_by_day(
    session: AsyncSession, *, tenant_id: str, contact_id: UUID, since: datetime
) -> Sequence[Row[Any]]:
    """(day in UTC, sentiment, messages) of a contact's messages written since `since`, the
    messages moderation has not judged under a NULL sentiment."""
    m, d = message.c, decision.c
    day = func.date(func.timezone("UTC", m.created_at)).label("day")
    stmt = (
        select(day, d.sentiment, func.count().label("messages"))
        .select_from(message)
        .outerjoin(decision, (d.tenant_id == m.tenant_id) & (d.interaction_id == m.interaction_id))
        .where(m.tenant_id == tenant_id, m.contact_id == contact_id, m.created_at >= since)
        .group_by(day, d.sentiment)
        .order_by(day)
    )
    return (await session.execute(stmt)).all()


async def move_contact(
    session: AsyncSession, *, tenant_id: str, from_id: UUID, to_id: UUID
) -> None:
    """Give `from_id`'s messages and conversations to `to_id`."""
    for table in (message, conversation):
        await session.execute(
            update(table)
            .where(table.c.tenant_id == tenant_id, table.c.contact_id == from_id)
            .values(contact_id=to_id)
        )


async def waiting_for_review(session: AsyncSession, *, conversation_id: UUID) -> Sequence[UUID]:
    """The interactions of a conversation's messages whose latest decision awaits a person."""
    m, d = message.c, decision.c
    return (
        await session.scalars(
            select(m.interaction_id)
            .join(decision, (d.tenant_id == m.tenant_id) & (d.interaction_id == m.interaction_id))
            .where(m.conversation_id == conversation_id, d.action.in_(FOR_REVIEW))
        )
    ).all()
