"""All SQL of connected accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, case, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from ingest.accounts.models import AccountStatus, connected_account
from ingest.accounts.schemas import AccountQuery

c = connected_account.c
# What the API shows: never the ciphertext, only whether there is one.
PUBLIC_COLUMNS: tuple[ColumnElement[Any], ...] = (
    c.id,
    c.network,
    c.external_account_id,
    c.brand_id,
    c.handle,
    c.display_name,
    c.status,
    c.credentials_encrypted.isnot(None).label("has_credentials"),
    c.created_at,
    c.updated_at,
)

# What inbound channels need to file an interaction under its tenant.
RESOLVE_COLUMNS: tuple[ColumnElement[Any], ...] = (c.id, c.tenant_id, c.brand_id, c.status)


async def insert_account(session: AsyncSession, row: Mapping[str, Any]) -> Row[Any] | None:
    """Insert an account; None when its (network, external id) is already connected."""
    result = await session.execute(
        insert(connected_account)
        .values(dict(row))
        .on_conflict_do_nothing(index_elements=["network", "external_account_id"])
        .returning(*PUBLIC_COLUMNS)
    )
    return result.first()


async def get(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> Row[Any] | None:
    """One account of the tenant."""
    result = await session.execute(
        select(*PUBLIC_COLUMNS).where(c.tenant_id == tenant_id, c.id == account_id)
    )
    return result.first()


async def list_accounts(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: AccountQuery,
    after: Cursor | None,
    limit: int,
    brands: frozenset[str] | None = None,
) -> list[Row[Any]]:
    """Up to `limit` accounts of the tenant (of these brands; None: every one), newest first,
    strictly after `after`."""
    stmt = select(*PUBLIC_COLUMNS).where(c.tenant_id == tenant_id)
    if query.network is not None:
        stmt = stmt.where(c.network == query.network.value)
    if query.brand_id is not None:
        stmt = stmt.where(c.brand_id == query.brand_id)
    if brands is not None:
        stmt = stmt.where(c.brand_id.in_(sorted(brands)))
    if query.status is not None:
        stmt = stmt.where(c.status == query.status.value)
    if after is not None:
        stmt = stmt.where(tuple_(c.created_at, c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(c.created_at.desc(), c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def update_account(
    session: AsyncSession,
    *,
    tenant_id: str,
    account_id: UUID,
    values: Mapping[str, Any],
    revive: bool = False,
) -> Row[Any] | None:
    """Apply `values` to one account of the tenant; None when it has no such account.

    `revive` moves a needs_reauth account back to active (its credentials were just renewed).
    """
    changes = dict(values)
    if revive:
        changes["status"] = case(
            (c.status == AccountStatus.needs_reauth.value, AccountStatus.active.value),
            else_=c.status,
        )
    result = await session.execute(
        update(connected_account)
        .where(c.tenant_id == tenant_id, c.id == account_id)
        .values(changes)
        .returning(*PUBLIC_COLUMNS)
    )
    return result.first()


async def delete_account(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> bool:
    """Delete one account of the tenant; False when it has no such account."""
    result = await session.execute(
        delete(connected_account)
        .where(c.tenant_id == tenant_id, c.id == account_id)
        .returning(c.id)
    )
    return result.first() is not None


async def find_by_external(
    session: AsyncSession, *, network: str, external_account_id: str
) -> Row[Any] | None:
    """Whose account this is, whichever tenant holds it."""
    result = await session.execute(
        select(*RESOLVE_COLUMNS).where(
            c.network == network, c.external_account_id == external_account_id
        )
    )
    return result.first()


async def credentials_of(session: AsyncSession, *, account_id: UUID) -> Row[Any] | None:
    """The account's stored credentials token (null without credentials); None without account."""
    result = await session.execute(select(c.credentials_encrypted).where(c.id == account_id))
    return result.first()
