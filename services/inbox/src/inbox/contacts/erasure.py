"""What an erasure request finds and deletes of contacts: the author's, with their identities,
labels and notes."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import contact, contact_identity, contact_note


async def contacts_of(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, network: str, author_id: str
) -> list[UUID]:
    """The contacts the author is, on one brand or every brand; the ones merged into another
    lead to it."""
    i = contact_identity.c
    stmt = select(i.contact_id).where(
        i.tenant_id == tenant_id, i.network == network, i.network_id == author_id
    )
    if brand_id is not None:
        stmt = stmt.where(i.brand_id == brand_id)
    found = set((await session.execute(stmt)).scalars())
    if found:
        merged = await session.execute(
            select(contact.c.merged_into).where(
                contact.c.id.in_(found), contact.c.merged_into.is_not(None)
            )
        )
        found |= set(merged.scalars())
    return sorted(found)


async def delete_contacts(session: AsyncSession, *, contact_ids: Sequence[UUID]) -> dict[str, int]:
    """Delete these contacts with their identities and notes (and the contacts merged into
    them); the rows deleted, by kind."""
    if not contact_ids:
        return {"contacts": 0, "identities": 0, "notes": 0}
    c = contact.c
    every_id = [
        *contact_ids,
        *(await session.execute(select(c.id).where(c.merged_into.in_(contact_ids)))).scalars(),
    ]
    counts = {}
    for kind, table in (("identities", contact_identity), ("notes", contact_note)):
        result = await session.execute(delete(table).where(table.c.contact_id.in_(every_id)))
        counts[kind] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    result = await session.execute(delete(contact).where(c.id.in_(every_id)))
    counts["contacts"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
