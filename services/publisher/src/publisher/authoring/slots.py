"""Queues: an account's weekly slots, and the first one no post of the account takes yet."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from publisher.accounts import service as accounts
from publisher.authoring.exceptions import NoFreeSlot
from publisher.calendar import to_utc, zone
from publisher.delivery import targets as post_targets

HORIZON = timedelta(days=366)


async def next_free(
    session: AsyncSession,
    *,
    tenant_id: str,
    account_id: UUID,
    tz: str,
    after: datetime,
    pointer: str,
    exclude_post: UUID | None = None,
) -> datetime:
    """The first slot strictly after `after` (UTC) that no live post of the account takes.

    Slots are wall-clock times in `tz`, so 09:00 stays 09:00 across DST changes; a slot that
    falls in a spring-forward gap moves forward as `to_utc` documents.
    """
    weekly = await accounts.slots(session, tenant_id=tenant_id, account_id=account_id)
    if not weekly:
        raise NoFreeSlot(pointer, account_id)
    taken = await post_targets.taken_times(
        session,
        account_id=str(account_id),
        start=after,
        end=after + HORIZON,
        exclude_post=exclude_post,
    )
    day = after.astimezone(zone(tz)).date()
    for offset in range(HORIZON.days + 1):
        date = day + timedelta(days=offset)
        for slot in weekly:
            if slot.weekday != date.isoweekday():
                continue
            at = to_utc(datetime.combine(date, slot.local_time), tz)
            if at > after and at not in taken:
                return at
    raise NoFreeSlot(pointer, account_id)
