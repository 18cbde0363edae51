"""All SQL of the metrics poller: which accounts are due, holding one, and when it runs next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, literal, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.common import Network
from ingest.accounts.models import AccountStatus, connected_account
from ingest.competitors.models import TrackingStatus, tracked_account
from ingest.post_metrics.base import MetricsAccount, Owner
from ingest.post_metrics.models import post_metrics_poll

c = connected_account.c
t = tracked_account.c
p = post_metrics_poll.c


async def due_accounts(
    session: AsyncSession, *, networks: Sequence[Network], now: datetime
) -> list[MetricsAccount]:
    """Active own and tracked accounts on these networks whose metrics are due at `now`."""
    names = [n.value for n in networks]
    not_held = or_(p.next_at.is_(None), p.next_at <= now)
    own = (
        select(
            c.id,
            c.tenant_id,
            c.brand_id,
            literal(Owner.own.value).label("owner"),
            c.network,
            c.external_account_id,
            c.handle,
            literal(None).label("instance_url"),
        )
        .select_from(connected_account.outerjoin(post_metrics_poll, p.account_id == c.id))
        .where(
            c.network.in_(names),
            c.status == AccountStatus.active.value,
            # An own Mastodon account's instance is in its credentials.
            or_(c.network != Network.mastodon.value, c.credentials_encrypted.isnot(None)),
            not_held,
        )
    )
    tracked = (
        select(
            t.id,
            t.tenant_id,
            t.brand_id,
            literal(Owner.competitor.value).label("owner"),
            t.network,
            t.external_account_id,
            t.handle,
            t.instance_url,
        )
        .select_from(tracked_account.outerjoin(post_metrics_poll, p.account_id == t.id))
        .where(t.network.in_(names), t.status == TrackingStatus.active.value, not_held)
    )
    rows = await session.execute(union_all(own, tracked).order_by("id"))
    return [
        MetricsAccount(
            id=row.id,
            tenant_id=row.tenant_id,
            brand_id=row.brand_id,
            owner=Owner(row.owner),
            network=Network(row.network),
            external_account_id=row.external_account_id,
            handle=row.handle,
            instance_url=row.instance_url,
        )
        for row in rows
    ]


async def claim(
    session: AsyncSession, *, account: MetricsAccount, now: datetime, hold_until: datetime
) -> int | None:
    """Take the account for one poll if it is due at `now`, holding it from every other worker
    until `hold_until`; its failures in a row so far, or None when it is not due (or held)."""
    statement = insert(post_metrics_poll).values(
        account_id=account.id,
        tenant_id=account.tenant_id,
        owner=account.owner.value,
        next_at=hold_until,
        failures=0,
    )
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[p.account_id],
            set_={"next_at": statement.excluded.next_at},
            where=p.next_at <= now,
        ).returning(p.failures)
    )
    failures: int | None = result.scalar_one_or_none()
    return failures


async def schedule(
    session: AsyncSession,
    *,
    account_id: UUID,
    next_at: datetime,
    failures: int,
    error: str | None,
    polled_at: datetime | None = None,
) -> None:
    """When the account is due next, its failures in a row and the latest error; a successful
    poll also sets `polled_at`. Flushes, never commits."""
    values: dict[str, object] = {"next_at": next_at, "failures": failures, "last_error": error}
    if polled_at is not None:
        values["polled_at"] = polled_at
    await session.execute(
        update(post_metrics_poll).where(p.account_id == account_id).values(values)
    )


async def forget(session: AsyncSession, *, account_id: UUID) -> None:
    """Drop an account's schedule (it is no longer tracked)."""
    await session.execute(delete(post_metrics_poll).where(p.account_id == account_id))
