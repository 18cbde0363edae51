"""SQL of contacts, their identities and notes."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Text,
    case,
    delete,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.batch_sql import insert_rows, unnested
from beacon_shared.pagination import Cursor
from inbox.contacts.models import contact, contact_identity, contact_note
from inbox.db import keys_in

# An author as one network knows them on one brand: tenant, brand, network, network id.
Identity = tuple[str, str | None, str, str]
_i = contact_identity.c
IDENTITY_COLUMNS = (_i.tenant_id, _i.brand_id, _i.network, _i.network_id)


async def contacts_of(
    session: AsyncSession, identities: Collection[Identity]
) -> dict[Identity, UUID]:
    """The contact each known identity is."""
    if not identities:
        return {}
    rows = await session.execute(
        select(*IDENTITY_COLUMNS, _i.contact_id).where(keys_in(IDENTITY_COLUMNS, identities))
    )
    return {(r.tenant_id, r.brand_id, r.network, r.network_id): r.contact_id for r in rows}


async def add(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    await session.execute(insert_rows(contact, rows))


async def add_identities(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> dict[Identity, UUID]:
    """Insert identities; the contact of each inserted, not of those another transaction
    recorded first."""
    inserted = await session.execute(
        insert_rows(contact_identity, rows)
        .on_conflict_do_nothing(constraint="uq_contact_identity")
        .returning(*IDENTITY_COLUMNS, _i.contact_id)
    )
    return {(r.tenant_id, r.brand_id, r.network, r.network_id): r.contact_id for r in inserted}


async def remove(session: AsyncSession, *, contact_ids: Collection[UUID]) -> None:
    await session.execute(delete(contact).where(contact.c.id.in_(contact_ids)))


@dataclass(frozen=True)
class Contacted:
    """Messages of one contact to count: how many, the earliest and latest written, and the
    names of the latest that gave them, with its time (None where none gave one)."""

    contact_id: UUID
    count: int
    first_at: datetime
    last_at: datetime
    handle: str | None
    handle_at: datetime | None
    display_name: str | None
    display_name_at: datetime | None


async def contacted(session: AsyncSession, counts: Sequence[Contacted], *, now: datetime) -> None:
    """Count the contacts' messages, one statement for all."""
    if not counts:
        return
    c = contact.c
    v = unnested(
        "counted",
        [
            ("id", PG_UUID(as_uuid=True)),
            ("count", Integer()),
            ("first_at", DateTime(timezone=True)),
            ("last_at", DateTime(timezone=True)),
            ("handle", Text()),
            ("handle_at", DateTime(timezone=True)),
            ("display_name", Text()),
            ("display_name_at", DateTime(timezone=True)),
        ],
        [
            (
                n.contact_id,
                n.count,
                n.first_at,
                n.last_at,
                n.handle,
                n.handle_at,
                n.display_name,
                n.display_name_at,
            )
            for n in counts
        ],
    )
    # Locked in id order first: the update's own order follows the plan, and two workers
    # counting the same contacts in different orders would wait on each other in a circle.
    await session.execute(
        select(c.id)
        .where(c.id.in_(sorted({n.contact_id for n in counts})))
        .order_by(c.id)
        .with_for_update()
    )
    # The names the latest message gave, where it gave them.
    await session.execute(
        update(contact)
        .where(c.id == v.c.id)
        .values(
            message_count=c.message_count + v.c.count,
            first_contact_at=func.least(c.first_contact_at, v.c.first_at),
            last_contact_at=func.greatest(c.last_contact_at, v.c.last_at),
            updated_at=now,
            handle=case((c.last_contact_at <= v.c.handle_at, v.c.handle), else_=c.handle),
            display_name=case(
                (c.last_contact_at <= v.c.display_name_at, v.c.display_name),
                else_=c.display_name,
            ),
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
