"""All SQL of the metrics poller: which accounts are due, holding one, and when it runs next."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, literal, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import leases
from beacon_shared.contracts.common import Network
from ingest.post_metrics.base import MetricsAccount, Owner
from ingest.post_metrics.models import post_metrics_poll

p = post_metrics_poll.c


async def due_accounts(
    session: AsyncSession, *, own: Select[Any], tracked: Select[Any], now: datetime
) -> list[MetricsAccount]:
    """The own and tracked accounts (`own`, `tracked`: their owners' candidates, each row with
    id, tenant_id, brand_id, network, external_account_id, handle, instance_url) whose metrics
    are due at `now`."""
    not_held = or_(p.next_at.is_(None), p.next_at <= now)

    def due(candidates: Select[Any], owner: Owner) -> Select[Any]:
        a = candidates.subquery()
        return (
            select(
                a.c.id,
                a.c.tenant_id,
                a.c.brand_id,
                literal(owner.value).label("owner"),
                a.c.network,
                a.c.external_account_id,
                a.c.handle,
                a.c.instance_url,
            )
            .select_from(a.outerjoin(post_metrics_poll, p.account_id == a.c.id))
            .where(not_held)
        )

    rows = await session.execute(
        union_all(due(own, Owner.own), due(tracked, Owner.competitor)).order_by("id")
    )
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


def poll_state() -> Select[Any]:
    """Each scheduled account's last poll: account_id, polled_at, last_error."""
    return select(p.account_id, p.polled_at, p.last_error)


async def claim(
    session: AsyncSession, *, account: MetricsAccount, now: datetime, hold_until: datetime
) -> int | None:
    """Take the account for one poll if it is due at `now`, holding it from every other worker
    until `hold_until`; its failures in a row so far, or None when it is not due (or held). An
    account polled for the first time gets its row here, due at once."""
    await session.execute(
        insert(post_metrics_poll)
        .values(
            account_id=account.id,
            tenant_id=account.tenant_id,
            owner=account.owner.value,
            next_at=now,
            failures=0,
        )
        .on_conflict_do_nothing(index_elements=[p.account_id])
    )
    claimed = await leases.claim(
        session,
        post_metrics_poll,
        where=[p.account_id == account.id, p.next_at <= now],
        lease={"next_at": hold_until},
        limit=1,
        returning=[p.failures],
    )
    return claimed[0].failures if claimed else None


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
