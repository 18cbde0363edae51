"""All SQL of publishing accounts and their queue slots."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    case,
    delete,
    func,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from publisher.accounts.models import account, account_slot
from publisher.accounts.schemas import AccountQuery

# Every column the API shows; the ciphertext never leaves through these.
PUBLIC: tuple[ColumnElement[Any], ...] = (
    account.c.id,
    account.c.tenant_id,
    account.c.network,
    account.c.external_account_id,
    account.c.brand_id,
    account.c.handle,
    account.c.display_name,
    account.c.instance_url,
    account.c.max_characters,
    account.c.status,
    account.c.status_reason,
    account.c.source,
    (account.c.credentials_encrypted.is_not(None)).label("has_credentials"),
    account.c.created_at,
    account.c.updated_at,
)

# For publishing only: the public columns and the ciphertext.
SEALED: tuple[ColumnElement[Any], ...] = (
    *PUBLIC,
    account.c.credentials_encrypted,
    account.c.workspace_version,
)
SLOT: tuple[ColumnElement[Any], ...] = (account_slot.c.weekday, account_slot.c.local_time)


async def insert_account(session: AsyncSession, row: Mapping[str, Any]) -> Row[Any] | None:
    """Insert an account; None when the tenant already has this network account."""
    result = await session.execute(
        insert(account)
        .values(dict(row))
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "network", "external_account_id"],
            # Literal, as the partial index's predicate is: a bound parameter would not match it.
            index_where=text("source = 'publisher'"),
        )
        .returning(*PUBLIC)
    )
    return result.first()


async def replicate(
    session: AsyncSession, row: Mapping[str, Any], *, keep_credentials: bool
) -> Row[Any] | None:
    """Insert or update the replica of a workspace account when `row` holds a newer version of
    it than the table; None when the table's is as new or newer (or the id is another
    tenant's). A paused account stays paused; `keep_credentials` keeps the stored ones. The
    publisher's own account under the same id (one it handed over) becomes the replica."""
    stmt = insert(account).values({**row, "source": "workspace"})
    new = stmt.excluded
    changes: dict[str, Any] = {
        name: new[name]
        for name in (
            "brand_id",
            "network",
            "external_account_id",
            "handle",
            "display_name",
            "instance_url",
            "status_reason",
            "workspace_version",
            "updated_at",
        )
    }
    changes["status"] = case(
        (and_(new.status == "active", account.c.status == "paused"), account.c.status),
        else_=new.status,
    )
    # The publisher's own account under this id is one it handed over: it becomes the replica.
    changes["source"] = new.source
    if not keep_credentials:
        changes["credentials_encrypted"] = new.credentials_encrypted
        changes["access_expires_at"] = new.access_expires_at
    result = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[account.c.id],
            set_=changes,
            where=and_(
                account.c.tenant_id == new.tenant_id,
                func.coalesce(account.c.workspace_version, -1) < new.workspace_version,
            ),
        ).returning(*PUBLIC)
    )
    return result.first()


async def own_holders(
    session: AsyncSession, *, replica: Row[Any], tenant_id: str
) -> list[Row[Any]]:
    """The publisher's own accounts of the replica's brand on the same network account, locked."""
    result = await session.execute(
        select(account.c.id)
        .where(
            account.c.tenant_id == tenant_id,
            account.c.source == "publisher",
            account.c.brand_id == replica.brand_id,
            account.c.network == replica.network,
            account.c.external_account_id == replica.external_account_id,
            account.c.id != replica.id,
        )
        .with_for_update()
    )
    return list(result.all())


async def merge_into(session: AsyncSession, *, account_id: UUID, into: UUID) -> None:
    """Give an account's queue slots to another (keeping its own) and forget the account."""
    slots = select(literal(into), account_slot.c.weekday, account_slot.c.local_time).where(
        account_slot.c.account_id == account_id
    )
    await session.execute(
        insert(account_slot)
        .from_select(["account_id", "weekday", "local_time"], slots)
        .on_conflict_do_nothing()
    )
    await session.execute(delete(account).where(account.c.id == account_id))


async def get(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> Row[Any] | None:
    """One account of the tenant."""
    result = await session.execute(
        select(*PUBLIC).where(account.c.tenant_id == tenant_id, account.c.id == account_id)
    )
    return result.first()


async def of_tenant(
    session: AsyncSession, *, tenant_id: str, account_ids: Collection[UUID]
) -> list[Row[Any]]:
    """The tenant's accounts among these ids."""
    if not account_ids:
        return []
    result = await session.execute(
        select(*PUBLIC).where(account.c.tenant_id == tenant_id, account.c.id.in_(list(account_ids)))
    )
    return list(result.all())


async def with_credentials(session: AsyncSession, account_ids: Collection[UUID]) -> list[Row[Any]]:
    """Accounts with their ciphertext, for publishing."""
    if not account_ids:
        return []
    result = await session.execute(select(*SEALED).where(account.c.id.in_(list(account_ids))))
    rows: list[Row[Any]] = list(result.all())
    return rows


async def list_accounts(
    session: AsyncSession, *, tenant_id: str, query: AccountQuery, after: Cursor | None, limit: int
) -> list[Row[Any]]:
    """Up to `limit` accounts of the tenant, newest first, strictly after `after`."""
    stmt = select(*PUBLIC).where(account.c.tenant_id == tenant_id)
    if query.network is not None:
        stmt = stmt.where(account.c.network == query.network.value)
    if query.brand_id is not None:
        stmt = stmt.where(account.c.brand_id == query.brand_id)
    if query.status is not None:
        stmt = stmt.where(account.c.status == query.status.value)
    if after is not None:
        stmt = stmt.where(tuple_(account.c.created_at, account.c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(account.c.created_at.desc(), account.c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def update_account(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, values: Mapping[str, Any]
) -> Row[Any] | None:
    """Change an account; None when the tenant has no such account."""
    result = await session.execute(
        update(account)
        .where(account.c.tenant_id == tenant_id, account.c.id == account_id)
        .values(dict(values))
        .returning(*PUBLIC)
    )
    return result.first()


async def mark_needs_reauth(
    session: AsyncSession, *, account_id: UUID, reason: str, now: datetime
) -> Row[Any] | None:
    """Flag an account whose token the network refused; None when it already was flagged."""
    result = await session.execute(
        update(account)
        .where(account.c.id == account_id, account.c.status != "needs_reauth")
        .values(status="needs_reauth", status_reason=reason, updated_at=now)
        .returning(*PUBLIC)
    )
    return result.first()


async def delete_account(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> bool:
    """Remove an account and its slots; False when the tenant has no such account."""
    result = await session.execute(
        delete(account)
        .where(account.c.tenant_id == tenant_id, account.c.id == account_id)
        .returning(account.c.id)
    )
    return result.first() is not None


async def slots_of(session: AsyncSession, account_id: UUID) -> list[Row[Any]]:
    """The account's queue, in weekday and time order."""
    result = await session.execute(
        select(*SLOT)
        .where(account_slot.c.account_id == account_id)
        .order_by(account_slot.c.weekday, account_slot.c.local_time)
    )
    rows: list[Row[Any]] = list(result.all())
    return rows


async def replace_slots(
    session: AsyncSession, account_id: UUID, slots: Sequence[Mapping[str, Any]]
) -> None:
    """Replace the account's queue."""
    await session.execute(delete(account_slot).where(account_slot.c.account_id == account_id))
    if slots:
        await session.execute(
            insert(account_slot), [{"account_id": account_id, **slot} for slot in slots]
        )
