"""All SQL of the pollers: which accounts to poll, where each resumes, and lost access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, func, or_, select, update
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
    session: AsyncSession, *, networks: Sequence[Network], now: datetime
) -> list[PolledAccount]:
    """Active accounts on these networks that have credentials and are due at `now`."""
    result = await session.execute(
        select(c.id, c.tenant_id, c.network, c.external_account_id)
        .where(
            c.network.in_([n.value for n in networks]),
            c.status == AccountStatus.active.value,
            c.credentials_encrypted.isnot(None),
            _due(now),
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


async def claim(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, now: datetime, hold_until: datetime
) -> int | None:
    """Take the account for one poll if it is due at `now`, holding it from every other worker
    until `hold_until`; its failures in a row so far, or None when it is not due (or held)."""
    result = await session.execute(
        update(connected_account)
        .where(
            c.id == account_id,
            c.tenant_id == tenant_id,
            c.status == AccountStatus.active.value,
            _due(now),
        )
        .values(poll_next_at=hold_until)
        .returning(c.poll_failures)
    )
    failures: int | None = result.scalar_one_or_none()
    return failures


async def schedule(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, next_at: datetime, failures: int
) -> None:
    """When the account may be polled next, and its failures in a row; flushes, never commits."""
    await session.execute(
        update(connected_account)
        .where(c.id == account_id, c.tenant_id == tenant_id)
        .values(poll_next_at=next_at, poll_failures=failures)
    )


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(c.poll_next_at.is_(None), c.poll_next_at <= now)


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
