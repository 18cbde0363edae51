"""The pollers' bookkeeping on a connected account: which accounts are due, holding one for a
poll, when it is due next and where its next poll resumes; and which accounts the metrics
poller reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.common import Network
from ingest.accounts import repository
from ingest.accounts.schemas import PolledAccount


async def pollable_accounts(
    session: AsyncSession, *, networks: Sequence[Network], now: datetime
) -> list[PolledAccount]:
    """Active accounts on these networks that have credentials and are due at `now`."""
    return await repository.pollable_accounts(session, networks=networks, now=now)


async def claim(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, now: datetime, hold_until: datetime
) -> int | None:
    """Take the account for one poll if it is due at `now`, holding it from every other worker
    until `hold_until`; its failures in a row so far, or None when it is not due (or held)."""
    return await repository.claim_poll(
        session, tenant_id=tenant_id, account_id=account_id, now=now, hold_until=hold_until
    )


async def schedule(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, next_at: datetime, failures: int
) -> None:
    """When the account may be polled next, and its failures in a row; flushes, never commits."""
    await repository.schedule_poll(
        session, tenant_id=tenant_id, account_id=account_id, next_at=next_at, failures=failures
    )


async def cursor_of(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> str | None:
    """Where the account's next poll resumes; None before its first."""
    return await repository.poll_cursor_of(session, tenant_id=tenant_id, account_id=account_id)


async def save_cursor(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, cursor: str
) -> None:
    """Record where the account's next poll resumes; flushes, never commits."""
    await repository.save_poll_cursor(
        session, tenant_id=tenant_id, account_id=account_id, cursor=cursor
    )


def metrics_candidates(networks: Sequence[Network]) -> Select[Any]:
    """Active accounts on these networks whose post metrics can be read (id, tenant_id,
    brand_id, network, external_account_id, handle, instance_url), to join."""
    return repository.metrics_candidates(networks)
