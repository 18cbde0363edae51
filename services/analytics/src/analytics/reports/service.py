"""Reports: generating and storing them, reading them back, and the weekly schedules.

Everything runs in the caller's transaction. A scheduled run stores its report, stages its
`report.generated` event in analytics' outbox and moves the schedule on in that one
transaction, so each week's report is made and announced once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from analytics import periods
from analytics.brands import service as brands
from analytics.db import outbox as outbox_table
from analytics.reports import content, repository, weeks
from analytics.reports.exceptions import ReportNotFound, ReportScheduleNotFound
from analytics.reports.schemas import (
    ReportFormat,
    ReportOrigin,
    ReportQuery,
    ScheduleIn,
    ScheduleOut,
    report_path,
)
from analytics.rollups.dimensions import Grain
from beacon_shared import outbox
from beacon_shared.contracts.analytics import ReportGenerated
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page

log = get_logger(__name__)

SOURCE = "/beacon/analytics"
# How POST /v1/reports names the period's ends.
BODY = periods.Bounds(start="period_start", end="period_end", location="body")


async def generate(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    start: datetime,
    end: datetime,
    origin: ReportOrigin,
    now: datetime | None = None,
    bounds: periods.Bounds = BODY,
) -> Row[Any]:
    """Compute the brand's report over [start, end) (local days) and store it."""
    figures = await content.build(
        session,
        tenant_id=tenant_id,
        brand_id=brand_id,
        start=start,
        end=end,
        grain=Grain.day,
        bounds=bounds,
    )
    row = await repository.insert_report(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "brand_id": brand_id,
            "period_start": start,
            "period_end": end,
            "timezone": figures.timezone,
            "origin": origin.value,
            "generated_at": now or datetime.now(UTC),
            "content": figures.model_dump(mode="json"),
        },
    )
    log.info(
        "report.generated",
        tenant_id=tenant_id,
        brand_id=brand_id,
        report_id=str(row.id),
        origin=origin.value,
    )
    return row


async def get(
    session: AsyncSession, *, tenant_id: str, report_id: UUID, brands: frozenset[str] | None
) -> Row[Any]:
    """One report of the tenant, content included; one of a brand outside `brands` (None: every
    brand) is not found."""
    found = await repository.get_report(session, tenant_id=tenant_id, report_id=report_id)
    if found is None or (brands is not None and found.brand_id not in brands):
        raise ReportNotFound(f"No report {report_id}.")
    return found


async def list_page(
    session: AsyncSession, *, tenant_id: str, query: ReportQuery, brands: frozenset[str] | None
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the tenant's reports of these brands (None: every brand), without content,
    newest first, and the next cursor."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_reports(
        session, tenant_id=tenant_id, brands=brands, after=after, limit=query.limit + 1
    )
    return split_page(rows, query.limit, at="generated_at")


# Weekly schedules -----------------------------------------------------------------------------


async def put_schedule(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    body: ScheduleIn,
    now: datetime | None = None,
) -> ScheduleOut:
    """Create or replace the brand's schedule; it next runs at the first such local time."""
    now = now or datetime.now(UTC)
    zone = await brands.zone_of(session, tenant_id, brand_id)
    row = await repository.upsert_schedule(
        session,
        {
            "tenant_id": tenant_id,
            "brand_id": brand_id,
            "weekday": body.weekday.iso,
            "hour": body.hour,
            "next_run_at": weeks.next_run(now, weekday=body.weekday.iso, hour=body.hour, zone=zone),
            "created_at": now,
            "updated_at": now,
        },
    )
    return _schedule_out(row, zone)


async def get_schedule(session: AsyncSession, *, tenant_id: str, brand_id: str) -> ScheduleOut:
    """The brand's schedule."""
    row = await repository.get_schedule(session, tenant_id=tenant_id, brand_id=brand_id)
    if row is None:
        raise ReportScheduleNotFound(f"Brand {brand_id!r} has no report schedule.")
    return _schedule_out(row, await brands.zone_of(session, tenant_id, brand_id))


async def delete_schedule(session: AsyncSession, *, tenant_id: str, brand_id: str) -> None:
    """Stop the brand's weekly reports (those already made stay)."""
    if not await repository.delete_schedule(session, tenant_id=tenant_id, brand_id=brand_id):
        raise ReportScheduleNotFound(f"Brand {brand_id!r} has no report schedule.")


async def claim_due(
    session: AsyncSession, *, now: datetime, skip: Collection[tuple[str, str]] = ()
) -> Row[Any] | None:
    """The schedule due longest (none held by another worker, none in `skip`), locked."""
    return await repository.claim_due_schedule(session, now=now, skip=skip)


async def run_schedule(session: AsyncSession, schedule: Row[Any], *, now: datetime) -> Row[Any]:
    """Make the report of the last full local week before the run's time, announce it, and
    move the schedule to its next local weekday and hour; returns the report."""
    zone = await brands.zone_of(session, schedule.tenant_id, schedule.brand_id)
    # The week is the one before the time the run was due, so a late run reports the same week.
    start, end = weeks.previous_week(schedule.next_run_at, zone)
    stored = await generate(
        session,
        tenant_id=schedule.tenant_id,
        brand_id=schedule.brand_id,
        start=start,
        end=end,
        origin=ReportOrigin.schedule,
        now=now,
    )
    event = ReportGenerated(
        report_id=stored.id,
        brand_id=schedule.brand_id,
        period_start=start,
        period_end=end,
        formats=[f.value for f in ReportFormat],
        path=report_path(stored.id),
        generated_at=stored.generated_at,
    )
    await outbox.stage(
        session,
        outbox_table,
        [
            Envelope.build(
                event, tenant_id=schedule.tenant_id, subject=schedule.brand_id, source=SOURCE
            )
        ],
    )
    # After a long stop, the next run may be due already: each missed week gets its report.
    await repository.advance_schedule(
        session,
        tenant_id=schedule.tenant_id,
        brand_id=schedule.brand_id,
        next_run_at=weeks.next_run(
            schedule.next_run_at, weekday=schedule.weekday, hour=schedule.hour, zone=zone
        ),
        last_report_id=stored.id,
        updated_at=now,
    )
    return stored


def _schedule_out(row: Row[Any], zone: ZoneInfo | None) -> ScheduleOut:
    return ScheduleOut(
        brand_id=row.brand_id,
        weekday=weeks.Weekday.of_iso(row.weekday),
        hour=row.hour,
        timezone=zone.key if zone is not None else "UTC",
        next_run_at=row.next_run_at,
        last_report_id=row.last_report_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
