"""SQL of contacts, their identities and notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, case, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from inbox.contacts.models import contact, contact_identity, contact_note


async def identity_of(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, network: str, network_id: str
) -> UUID | None:
    """The contact an author is, if one is known."""
    i = contact_identity.c
    found: UUID | None = await session.scalar(
        select(i.contact_id).where(
            i.tenant_id == tenant_id,
            i.brand_id.is_not_distinct_from(brand_id),
            i.network == network,
            i.network_id == network_id,
        )
    )
    return found


async def add(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(contact).values(**values))


async def add_identity(session: AsyncSession, values: Mapping[str, Any]) -> UUID | None:
    """Insert an identity; its contact, or None when another transaction recorded it first."""
    found: UUID | None = await session.scalar(
        insert(contact_identity)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_contact_identity")
        .returning(contact_identity.c.contact_id)
    )
    return found


async def remove(session: AsyncSession, *, contact_id: UUID) -> None:
    await session.execute(delete(contact).where(contact.c.id == contact_id))


async def contacted(
    session: AsyncSession,
    *,
    contact_id: UUID,
    at: datetime,
    handle: str | None,
    display_name: str | None,
    now: datetime,
) -> None:
    """Count one more message from the contact, written at `at`."""
    c = contact.c
    # The names the latest message gave, where it gave them.
    latest = c.last_contact_at <= at
    names = {
        column: case((latest, value), else_=getattr(c, column))
        for column, value in (("handle", handle), ("display_name", display_name))
        if value is not None
    }
    await session.execute(
        update(contact)
        .where(c.id == contact_id)
        .values(
            message_count=c.message_count + 1,
            first_contact_at=func.least(c.first_contact_at, at),
            last_contact_at=func.greatest(c.last_contact_at, at),
            updated_at=now,
            **names,
        )
    )


async def get(session: AsyncSession, *, tenant_id: str, contact_id: UUID) -> Row[Any] | None:
    row: Row[Any] | None = (
        await session.execute(
            select(contact).where(contact.c.tenant_id == tenant_id, contact.c.id == contact_id)
        )
    ).first()
    return row


async def lock_pair(
    session: AsyncSession, *, tenant_id: str, contact_ids: Sequence[UUID]
) -> Sequence[Row[Any]]:
    """The tenant's contacts among `contact_ids`, locked in id order until the transaction ends."""
    c = contact.c
    return (
        await session.execute(
            select(contact)
            .where(c.tenant_id == tenant_id, c.id.in_(contact_ids))
            .order_by(c.id)
            .with_for_update()
        )
    ).all()


async def page(
    session: AsyncSession,
    *,
    where: Sequence[ColumnElement[bool]],
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to `limit` contacts, the latest contact first, strictly after `after`."""
    c = contact.c
    stmt = select(contact).where(c.merged_into.is_(None), *where)
    if after is not None:
        stmt = stmt.where(tuple_(c.last_contact_at, c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(c.last_contact_at.desc(), c.id.desc()).limit(limit)
    return (await session.execute(stmt)).all()


async def identities_of(session: AsyncSession, *, contact_id: UUID) -> Sequence[Row[Any]]:
    i = contact_identity.c
    return (
        await session.execute(
            select(contact_identity)
            .where(i.contact_id == contact_id)
            .order_by(i.first_seen_at, i.network, i.network_id)
        )
    ).all()


async def notes_of(session: AsyncSession, *, contact_id: UUID) -> Sequence[Row[Any]]:
    n = contact_note.c
    return (
        await session.execute(
            select(contact_note).where(n.contact_id == contact_id).order_by(n.created_at, n.id)
        )
    ).all()


async def add_note(session: AsyncSession, values: Mapping[str, Any]) -> Row[Any]:
    row: Row[Any] = (
        await session.execute(insert(contact_note).values(**values).returning(contact_note))
    ).one()
    return row


async def change(session: AsyncSession, *, contact_id: UUID, values: Mapping[str, Any]) -> Row[Any]:
    row: Row[Any] = (
        await session.execute(
            update(contact).where(contact.c.id == contact_id).values(**values).returning(contact)
        )
    ).one()
    return row


async def absorb(
    session: AsyncSession, *, into: Row[Any], other: Row[Any], now: datetime
) -> Row[Any]:
    """Move `other`'s identities and notes to `into`, sum what they count, and leave `other` as
    a pointer to `into`; `into`'s row after."""
    await session.execute(
        update(contact_identity)
        .where(contact_identity.c.contact_id == other.id)
        .values(contact_id=into.id)
    )
    await session.execute(
        update(contact_note).where(contact_note.c.contact_id == other.id).values(contact_id=into.id)
    )
    await session.execute(
        update(contact)
        .where(contact.c.id == other.id)
        .values(merged_into=into.id, message_count=0, labels=[], updated_at=now)
    )
    # Contacts merged into `other` before now point to `into`.
    await session.execute(
        update(contact).where(contact.c.merged_into == other.id).values(merged_into=into.id)
    )
    latest = other if other.last_contact_at > into.last_contact_at else into
    return await change(
        session,
        contact_id=into.id,
        values={
            "message_count": into.message_count + other.message_count,
            "first_contact_at": min(into.first_contact_at, other.first_contact_at),
            "last_contact_at": max(into.last_contact_at, other.last_contact_at),
            "labels": sorted(set(into.labels) | set(other.labels)),
            "handle": latest.handle or into.handle or other.handle,
            "display_name": latest.display_name or into.display_name or other.display_name,
            "updated_at": now,
        },
    )
