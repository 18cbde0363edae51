"""All SQL of connected accounts, OAuth states, Mastodon apps and pending revocations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.leases import claim
from beacon_shared.pagination import Cursor
from workspace.connections.models import connected_account, mastodon_app, oauth_state, revocation

AnyRow = Row[*tuple[Any, ...]]
# What a reconnection replaces: everything the network says now, and who connected it.
_RECONNECTED = (
    "handle",
    "display_name",
    "instance_url",
    "scopes",
    "access_expires_at",
    "refresh_expires_at",
    "credentials",
    "connected_by",
    "connected_at",
    "updated_at",
)


async def upsert_account(session: AsyncSession, values: dict[str, object]) -> tuple[AnyRow, bool]:
    """Store a connected account, or connect it again (new credentials, active, version + 1);
    its row, and whether it is new."""
    statement = insert(connected_account).values(**values)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[
            connected_account.c.tenant_id,
            connected_account.c.brand_id,
            connected_account.c.network,
            connected_account.c.external_id,
        ],
        set_={
            **{name: excluded[name] for name in _RECONNECTED},
            "status": "active",
            "status_reason": None,
            "disconnected_at": None,
            "disconnected_by": None,
            "refresh_claimed_until": None,
            "refresh_failures": 0,
            "version": connected_account.c.version + 1,
        },
    )
    row = (
        await session.execute(
            statement.returning(connected_account, (connected_account.c.version == 1))
        )
    ).one()
    return row, bool(row[-1])


async def page(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_ids: frozenset[str] | None,
    brand_id: str | None,
    network: str | None,
    status: str | None,
    after: Cursor | None,
    limit: int,
) -> Sequence[AnyRow]:
    """Up to `limit` of the tenant's accounts, newest first, after the cursor."""
    c = connected_account.c
    query = select(connected_account).where(c.tenant_id == tenant_id)
    if brand_ids is not None:
        query = query.where(c.brand_id.in_(brand_ids))
    if brand_id is not None:
        query = query.where(c.brand_id == brand_id)
    if network is not None:
        query = query.where(c.network == network)
    if status is not None:
        query = query.where(c.status == status)
    if after is not None:
        query = query.where(tuple_(c.created_at, c.id) < tuple_(after.at, after.id))
    return (
        await session.execute(query.order_by(c.created_at.desc(), c.id.desc()).limit(limit))
    ).all()


async def get_account(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, lock: bool = False
) -> AnyRow | None:
    """One of the tenant's accounts (locked for this transaction when asked)."""
    query = select(connected_account).where(
        connected_account.c.tenant_id == tenant_id, connected_account.c.id == account_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def holding(
    session: AsyncSession, *, tenant_id: str, brand_id: str, network: str, external_id: str
) -> AnyRow | None:
    """The brand's account for this network account, locked; None when it has none."""
    query = select(connected_account).where(
        connected_account.c.tenant_id == tenant_id,
        connected_account.c.brand_id == brand_id,
        connected_account.c.network == network,
        connected_account.c.external_id == external_id,
    )
    return (await session.execute(query.with_for_update())).first()


async def make_due(session: AsyncSession, account_id: UUID, *, at: datetime) -> None:
    """Have the refresher renew the account's token at its next pass (its version is kept: the
    credentials are the same until then)."""
    await session.execute(
        update(connected_account)
        .where(connected_account.c.id == account_id)
        .values(
            # LEAST skips a null: an account with no known expiry is due now too.
            access_expires_at=func.least(connected_account.c.access_expires_at, at),
            refresh_claimed_until=None,
        )
    )


async def set_account(session: AsyncSession, account_id: UUID, **values: object) -> AnyRow:
    """Change an account (its version grows); its row after."""
    row: AnyRow = (
        await session.execute(
            update(connected_account)
            .where(connected_account.c.id == account_id)
            .values(**values, version=connected_account.c.version + 1)
            .returning(connected_account)
        )
    ).one()
    return row


async def add_state(session: AsyncSession, values: dict[str, object]) -> None:
    """Store a pending connect flow."""
    await session.execute(insert(oauth_state).values(**values))


async def state_by_hash(session: AsyncSession, state_hash: str) -> AnyRow | None:
    """The flow a state belongs to, locked: a replay waits for the first use, then sees it."""
    return (
        await session.execute(
            select(oauth_state).where(oauth_state.c.state_hash == state_hash).with_for_update()
        )
    ).first()


async def finish_state(
    session: AsyncSession, state_id: UUID, *, at: datetime, outcome: str
) -> None:
    """Mark a flow used, with how it ended."""
    await session.execute(
        update(oauth_state).where(oauth_state.c.id == state_id).values(used_at=at, outcome=outcome)
    )


async def mastodon_app_for(
    session: AsyncSession, *, instance_url: str, redirect_uri: str
) -> AnyRow | None:
    """Beacon's app at the instance, if registered."""
    return (
        await session.execute(
            select(mastodon_app).where(
                mastodon_app.c.instance_url == instance_url,
                mastodon_app.c.redirect_uri == redirect_uri,
            )
        )
    ).first()


async def add_mastodon_app(session: AsyncSession, values: dict[str, object]) -> AnyRow:
    """Keep an app registration; when another request registered one first, that one."""
    await session.execute(insert(mastodon_app).values(**values).on_conflict_do_nothing())
    row = await mastodon_app_for(
        session,
        instance_url=str(values["instance_url"]),
        redirect_uri=str(values["redirect_uri"]),
    )
    assert row is not None
    return row


async def claim_due(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    due_before: datetime,
    now: datetime,
    lease_until: datetime,
    limit: int,
) -> Sequence[AnyRow]:
    """Claim active accounts whose access token expires before `due_before` and that no one
    holds, until `lease_until`: another refresher skips them meanwhile."""
    c = connected_account.c
    return await claim(
        session,
        connected_account,
        where=(
            c.status == "active",
            c.kind.in_(kinds),
            c.access_expires_at.is_not(None),
            c.access_expires_at < due_before,
            or_(c.refresh_claimed_until.is_(None), c.refresh_claimed_until <= now),
        ),
        order_by=(c.access_expires_at,),
        limit=limit,
        lease={"refresh_claimed_until": lease_until},
    )


async def claim_unchecked(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    now: datetime,
    lease_until: datetime,
    limit: int,
) -> Sequence[AnyRow]:
    """Claim active accounts of these kinds that no one holds and whose rest has ended (never
    checked first), until `lease_until`."""
    c = connected_account.c
    return await claim(
        session,
        connected_account,
        where=(
            c.status == "active",
            c.kind.in_(kinds),
            c.credentials.is_not(None),
            or_(c.refresh_claimed_until.is_(None), c.refresh_claimed_until <= now),
        ),
        order_by=(c.refresh_claimed_until.asc().nulls_first(), c.id),
        limit=limit,
        lease={"refresh_claimed_until": lease_until},
    )


async def checked(session: AsyncSession, account_id: UUID, *, next_at: datetime) -> None:
    """A checked account rests until `next_at`, its failures forgotten (its version unchanged)."""
    await session.execute(
        update(connected_account)
        .where(connected_account.c.id == account_id)
        .values(refresh_claimed_until=next_at, refresh_failures=0)
    )


async def locked(session: AsyncSession, account_id: UUID) -> AnyRow | None:
    """An account, locked for this transaction."""
    return (
        await session.execute(
            select(connected_account).where(connected_account.c.id == account_id).with_for_update()
        )
    ).first()


async def hold(session: AsyncSession, account_id: UUID, *, until: datetime, failed: bool) -> None:
    """Leave an account alone until `until` (its version unchanged), counting a failure."""
    values: dict[str, object] = {"refresh_claimed_until": until}
    if failed:
        values["refresh_failures"] = connected_account.c.refresh_failures + 1
    await session.execute(
        update(connected_account).where(connected_account.c.id == account_id).values(**values)
    )


async def forget_flows(session: AsyncSession, *, expired_before: datetime) -> None:
    """Delete the flows that expired before then, used or not."""
    await session.execute(delete(oauth_state).where(oauth_state.c.expires_at < expired_before))


async def add_revocation(session: AsyncSession, values: dict[str, object]) -> None:
    """Keep a disconnected account's sealed tokens until they are revoked at the network."""
    await session.execute(insert(revocation).values(**values))


async def claim_revocations(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[AnyRow]:
    """Claim the revocations due that no one holds, until `lease_until`."""
    c = revocation.c
    return await claim(
        session,
        revocation,
        where=(c.due_at <= now,),
        order_by=(c.due_at,),
        limit=limit,
        lease={"due_at": lease_until},
    )


async def retry_revocation(
    session: AsyncSession, revocation_id: UUID, *, attempts: int, due_at: datetime, error: str
) -> None:
    """Try a revocation again at `due_at`."""
    await session.execute(
        update(revocation)
        .where(revocation.c.id == revocation_id)
        .values(attempts=attempts, due_at=due_at, last_error=error)
    )


async def forget_revocation(session: AsyncSession, revocation_id: UUID) -> None:
    """A revocation done or given up."""
    await session.execute(delete(revocation).where(revocation.c.id == revocation_id))


async def holding_credentials(
    session: AsyncSession, *, tenant_id: str, network: str
) -> Sequence[bytes]:
    """The sealed credentials of the tenant's accounts on the network that still have some."""
    c = connected_account.c
    return (
        await session.scalars(
            select(c.credentials).where(
                c.tenant_id == tenant_id, c.network == network, c.credentials.is_not(None)
            )
        )
    ).all()
