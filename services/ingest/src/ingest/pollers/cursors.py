"""All SQL of the pollers: which accounts to poll, where each resumes, and lost access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.common import Network
from ingest.accounts.models import AccountStatus, connected_account

c = connected_account.c


@dataclass(frozen=True)
class PolledAccount:
    """An account a poller reads."""

    id: UUID
    tenant_id: str
    network: Network
    external_account_id: str


async def pollable_accounts(
    session: AsyncSession, *, networks: Sequence[Network]
) -> list[PolledAccount]:
    """Active accounts on these networks that have credentials."""
    result = await session.execute(
        select(c.id, c.tenant_id, c.network, c.external_account_id)
        .where(
            c.network.in_([n.value for n in networks]),
            c.status == AccountStatus.active.value,
            c.credentials_encrypted.isnot(None),
        )
        .order_by(c.id)
    )
    return [
        PolledAccount(
            id=row.id,
            tenant_id=row.tenant_id,
            network=Network(row.network),
            external_account_id=row.external_account_id,
        )
        for row in result
    ]


async def cursor_of(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> str | None:
    """Where the account's next poll resumes; None before its first."""
    result = await session.execute(
        select(c.poll_cursor).where(c.id == account_id, c.tenant_id == tenant_id)
    )
    return result.scalar_one_or_none()


async def save_cursor(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, cursor: str
) -> None:
    """Record where the account's next poll resumes; flushes, never commits."""
    await session.execute(
        update(connected_account)
        .where(c.id == account_id, c.tenant_id == tenant_id)
        .values(poll_cursor=cursor, updated_at=func.now())
    )


async def mark_needs_reauth(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> None:
    """Stop polling an active account whose credentials the network refuses."""
    await session.execute(
        update(connected_account)
        .where(
            c.id == account_id,
            c.tenant_id == tenant_id,
            c.status == AccountStatus.active.value,
        )
        .values(status=AccountStatus.needs_reauth.value, updated_at=func.now())
    )
