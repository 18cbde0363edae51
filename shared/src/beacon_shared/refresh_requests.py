"""A network refused the token of a workspace account a service keeps: ask the registry to
refresh it, once per version of the credentials, and say how long the call may wait for the
new token (docs/workspace.md, "A token a network refuses").

The service's table has the columns id, tenant_id, workspace_version (null for the service's
own accounts, which nothing refreshes), refresh_requested_version, refresh_requested_at and
access_expires_at (when the registry says the token held expires).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.events import Envelope, EventPayload
from beacon_shared.logging import get_logger
from beacon_shared.outbox import stage

log = get_logger(__name__)
# A refusal asks for a refresh once in this time: credentials a refresh gave that are refused
# too, while the registry still holds them valid, need a person. A token refused once its
# expiry has passed is asked for again at once: the refresher was late, nothing is wrong with
# the grant (a grant that is, fails the registry's refresh, which deauthorizes the account).
REFRESH_AGAIN = timedelta(hours=1)


@dataclass(frozen=True)
class RefreshRequests:
    """Where a service keeps its accounts and stages its requests."""

    table: Table
    outbox: Table
    event: type[EventPayload]
    source: str


async def refused(
    session: AsyncSession,
    requests: RefreshRequests,
    *,
    account_id: UUID,
    version: int | None,
    reason: str,
    now: datetime,
    wait: timedelta,
) -> datetime | None:
    """Until when a call refused on the account with the credentials of `version` may wait for
    its refreshed token, the registry having been asked (in the caller's transaction); now when
    newer credentials have arrived since the call; None when it needs a person: one of the
    service's own accounts, or a workspace account whose refresh did not come within `wait` or
    gave credentials refused before their expiry."""
    t = requests.table
    row = (
        await session.execute(
            select(
                t.c.tenant_id,
                t.c.workspace_version,
                t.c.refresh_requested_version,
                t.c.refresh_requested_at,
                t.c.access_expires_at,
            )
            .where(t.c.id == account_id)
            .with_for_update()
        )
    ).first()
    if row is None or row.workspace_version is None:
        return None
    if version is not None and version < row.workspace_version:
        # Sent with a token the refresher had already replaced: the new one is here.
        return now
    if row.refresh_requested_version == row.workspace_version:
        # Asked already for these credentials: wait for the answer, not past `wait`.
        until: datetime = row.refresh_requested_at + wait
        return until if until > now else None
    expired = row.access_expires_at is not None and row.access_expires_at <= now
    if (
        row.refresh_requested_at is not None
        and now - row.refresh_requested_at < REFRESH_AGAIN
        and not expired
    ):
        return None
    await session.execute(
        update(t)
        .where(t.c.id == account_id)
        .values(refresh_requested_version=row.workspace_version, refresh_requested_at=now)
    )
    payload = requests.event.model_validate(
        {"account_id": account_id, "version": row.workspace_version, "reason": reason, "at": now}
    )
    envelope = Envelope.build(
        payload, tenant_id=row.tenant_id, subject=str(account_id), source=requests.source
    )
    await stage(session, requests.outbox, [envelope])
    log.info("account.refresh_requested", account_id=str(account_id), version=row.workspace_version)
    return now + wait
