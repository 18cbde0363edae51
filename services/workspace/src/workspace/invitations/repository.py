"""All SQL of invitations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from workspace.invitations.models import invitation

InvitationRow = Row[*tuple[Any, ...]]


async def add(session: AsyncSession, values: dict[str, object]) -> InvitationRow:
    """Store a new invitation; its row."""
    row: InvitationRow = (
        await session.execute(insert(invitation).values(**values).returning(invitation))
    ).one()
    return row


async def page(
    session: AsyncSession, *, tenant_id: str, after: Cursor | None, limit: int
) -> Sequence[InvitationRow]:
    """Up to `limit` of the tenant's invitations, newest first, after the cursor."""
    query = select(invitation).where(invitation.c.tenant_id == tenant_id)
    if after is not None:
        query = query.where(
            tuple_(invitation.c.created_at, invitation.c.id) < tuple_(after.at, after.id)
        )
    return (
        await session.execute(
            query.order_by(invitation.c.created_at.desc(), invitation.c.id.desc()).limit(limit)
        )
    ).all()


async def get(
    session: AsyncSession, *, tenant_id: str, invitation_id: UUID
) -> InvitationRow | None:
    """One of the tenant's invitations, locked for this transaction."""
    return (
        await session.execute(
            select(invitation)
            .where(invitation.c.tenant_id == tenant_id, invitation.c.id == invitation_id)
            .with_for_update()
        )
    ).first()


async def by_token_hash(session: AsyncSession, token_hash: str) -> InvitationRow | None:
    """The invitation a token opens, locked: two acceptances of one token run one at a time."""
    return (
        await session.execute(
            select(invitation).where(invitation.c.token_hash == token_hash).with_for_update()
        )
    ).first()


async def set_fields(
    session: AsyncSession, invitation_id: UUID, **values: datetime | str | UUID
) -> InvitationRow:
    """Update an invitation; its row after."""
    row: InvitationRow = (
        await session.execute(
            update(invitation)
            .where(invitation.c.id == invitation_id)
            .values(**values)
            .returning(invitation)
        )
    ).one()
    return row
