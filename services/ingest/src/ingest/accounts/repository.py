"""All SQL of connected accounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import leases
from beacon_shared.contracts.common import Network
from beacon_shared.pagination import Cursor
from ingest.accounts.models import connected_account
from ingest.accounts.schemas import AccountQuery, AccountStatus, PolledAccount

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
    c.workspace_version,
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


async def from_workspace(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> bool | None:
    """Whether the tenant's account replicates the workspace's registry; None without it."""
    result = await session.execute(
        select(c.workspace_version.is_not(None)).where(c.tenant_id == tenant_id, c.id == account_id)
    )
    found: bool | None = result.scalar_one_or_none()
    return found


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


# What keeping a registry account needs to know of the row already there.
REPLICA_COLUMNS: tuple[ColumnElement[Any], ...] = (
    c.id,
    c.tenant_id,
    c.network,
    c.external_account_id,
    c.status,
    c.workspace_version,
)


async def lock(session: AsyncSession, *, account_id: UUID) -> Row[Any] | None:
    """The account's row, locked until the transaction ends; None when there is none."""
    result = await session.execute(
        select(*REPLICA_COLUMNS).where(c.id == account_id).with_for_update()
    )
    return result.first()


async def lock_holder(
    session: AsyncSession, *, network: str, external_account_id: str, other_than: UUID
) -> Row[Any] | None:
    """Another row holding this network account, locked; None when no other row does."""
    result = await session.execute(
        select(*REPLICA_COLUMNS)
        .where(
            c.network == network,
            c.external_account_id == external_account_id,
            c.id != other_than,
        )
        .with_for_update()
    )
    return result.first()


async def rekey(session: AsyncSession, *, account_id: UUID, new_id: UUID) -> None:
    """Give an account another id (the registry's, when the registry takes it over)."""
    await session.execute(update(connected_account).where(c.id == account_id).values(id=new_id))


async def delete_by_id(session: AsyncSession, *, account_id: UUID) -> None:
    """Forget an account, whoever's it is."""
    await session.execute(delete(connected_account).where(c.id == account_id))


async def replicate(
    session: AsyncSession, row: Mapping[str, Any], *, keep_credentials: bool
) -> Row[Any] | None:
    """Insert or update the replica of a registry account when `row` holds a newer version of it
    than the table (or the table's was connected through ingest's own API); None, changing
    nothing, when the table's is as new or newer or the id is another tenant's.

    An account paused in ingest stays paused when the registry says active; `keep_credentials`
    keeps the stored credentials."""
    stmt = insert(connected_account).values(dict(row))
    new = stmt.excluded
    changes: dict[str, Any] = {
        name: new[name]
        for name in (
            "brand_id",
            "network",
            "external_account_id",
            "handle",
            "display_name",
            "workspace_version",
            "updated_at",
        )
    }
    changes["status"] = case(
        (
            and_(
                new.status == AccountStatus.active.value,
                c.status == AccountStatus.paused.value,
            ),
            c.status,
        ),
        else_=new.status,
    )
    if not keep_credentials:
        changes["credentials_encrypted"] = new.credentials_encrypted
        changes["access_expires_at"] = new.access_expires_at
    result = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[c.id],
            set_=changes,
            where=and_(
                c.tenant_id == new.tenant_id,
                func.coalesce(c.workspace_version, -1) < new.workspace_version,
            ),
        ).returning(c.id, c.network, c.status)
    )
    return result.first()


# The pollers' bookkeeping on an account: when it is due, where it resumes.


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
            _poll_due(now),
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


async def claim_poll(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, now: datetime, hold_until: datetime
) -> int | None:
    """Take the account for one poll if it is due at `now`, holding it from every other worker
    until `hold_until`; its failures in a row so far, or None when it is not due (or held)."""
    claimed = await leases.claim(
        session,
        connected_account,
        where=[
            c.id == account_id,
            c.tenant_id == tenant_id,
            c.status == AccountStatus.active.value,
            _poll_due(now),
        ],
        lease={"poll_next_at": hold_until},
        limit=1,
        returning=[c.poll_failures],
    )
    return claimed[0].poll_failures if claimed else None


async def schedule_poll(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, next_at: datetime, failures: int
) -> None:
    """When the account may be polled next, and its failures in a row; flushes, never commits."""
    await session.execute(
        update(connected_account)
        .where(c.id == account_id, c.tenant_id == tenant_id)
        .values(poll_next_at=next_at, poll_failures=failures)
    )


def _poll_due(now: datetime) -> ColumnElement[bool]:
    return or_(c.poll_next_at.is_(None), c.poll_next_at <= now)


async def poll_cursor_of(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> str | None:
    """Where the account's next poll resumes; None before its first."""
    result = await session.execute(
        select(c.poll_cursor).where(c.id == account_id, c.tenant_id == tenant_id)
    )
    return result.scalar_one_or_none()


async def save_poll_cursor(
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


def metrics_candidates(networks: Sequence[Network]) -> Select[Any]:
    """Active accounts on these networks whose post metrics can be read, as the metrics poller
    joins them (an own Mastodon account's instance is in its credentials)."""
    return select(
        c.id,
        c.tenant_id,
        c.brand_id,
        c.network,
        c.external_account_id,
        c.handle,
        literal(None).label("instance_url"),
    ).where(
        c.network.in_([n.value for n in networks]),
        c.status == AccountStatus.active.value,
        or_(c.network != Network.mastodon.value, c.credentials_encrypted.isnot(None)),
    )
