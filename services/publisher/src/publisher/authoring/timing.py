"""When a post's targets are due: an instant, a local time, or the accounts' queues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from publisher.authoring import slots
from publisher.authoring.exceptions import ScheduledInPast
from publisher.authoring.schemas import ScheduleIn
from publisher.brands.schemas import BrandSettings
from publisher.calendar import to_utc, validate_rrule, zone


@dataclass(frozen=True)
class Timing:
    """When each target is due, and how the time was given."""

    due: Mapping[UUID, datetime]
    timezone: str | None
    local: datetime | None
    recurrence: str | None

    @property
    def scheduled_at(self) -> datetime:
        """The post's time: its earliest target's."""
        return min(self.due.values())


def check_schedulable(scheduled_at: datetime, *, now: datetime, tolerance: timedelta) -> None:
    """A post may be scheduled in the future, or at most `tolerance` ago (clock skew)."""
    if scheduled_at < now - tolerance:
        raise ScheduledInPast(scheduled_at, now)


async def resolve_timing(
    session: AsyncSession,
    *,
    tenant_id: str,
    spec: ScheduleIn,
    settings: BrandSettings,
    account_ids: Sequence[UUID],
    now: datetime,
    tolerance: timedelta,
    post_id: UUID | None = None,
) -> Timing:
    """Each target's due time from an instant, a local time or the accounts' queues (where
    `post_id`, being rescheduled, holds no slot)."""
    if spec.next_slot:
        due = {
            account_id: await slots.next_free(
                session,
                tenant_id=tenant_id,
                account_id=account_id,
                tz=settings.timezone,
                after=now,
                pointer=f"/targets/{index}",
                exclude_post=post_id,
            )
            for index, account_id in enumerate(account_ids)
        }
        return Timing(due, settings.timezone, None, None)
    tz: str | None
    local: datetime | None
    if spec.local_time is not None:
        tz = spec.timezone or settings.timezone
        local = spec.local_time.replace(second=0, microsecond=0)
        at = to_utc(local, tz)
    else:
        assert spec.scheduled_at is not None
        at = spec.scheduled_at.astimezone(UTC)
        tz = settings.timezone if spec.recurrence else None
        local = at.astimezone(zone(tz)).replace(tzinfo=None) if tz else None
    check_schedulable(at, now=now, tolerance=tolerance)
    if spec.recurrence is not None:
        assert tz is not None
        assert local is not None
        validate_rrule(spec.recurrence, start_local=local, tz=tz)
    return Timing(dict.fromkeys(account_ids, at), tz, local, spec.recurrence)
