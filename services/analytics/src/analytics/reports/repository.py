"""All SQL of reports and their schedules."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.reports.models import report, report_schedule
from beacon_shared.pagination import Cursor

# Everything but the content: lists never carry the figures.
_LISTED = [c for c in report.c if c.name != "content"]


async def insert_report(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    """Store a report; returns its row."""
    row: Row[Any] = (await session.execute(insert(report).values(values).returning(report))).one()
    return row


async def get_report(session: AsyncSession, *, tenant_id: str, report_id: UUID) -> Row[Any] | None:
    """One report of the tenant, content included."""
    return (
        await session.execute(
            select(report).where(report.c.tenant_id == tenant_id, report.c.id == report_id)
        )
    ).one_or_none()


async def list_reports(
    session: AsyncSession,
    *,
    tenant_id: str,
    brands: frozenset[str] | None,
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to `limit` reports of the tenant (of these brands; None: every brand) without their
    content, newest first, strictly after `after`."""
    stmt = select(*_LISTED).where(report.c.tenant_id == tenant_id)
    if brands is not None:
        stmt = stmt.where(report.c.brand_id.in_(sorted(brands)))
    if after is not None:
        stmt = stmt.where(tuple_(report.c.generated_at, report.c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(report.c.generated_at.desc(), report.c.id.desc()).limit(limit)
    return (await session.execute(stmt)).all()


async def upsert_schedule(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    """Create or replace the brand's schedule (its creation time and last report stay)."""
    statement = insert(report_schedule).values(values)
    row: Row[Any] = (
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[report_schedule.c.tenant_id, report_schedule.c.brand_id],
                set_={
                    "weekday": statement.excluded.weekday,
                    "hour": statement.excluded.hour,
                    "next_run_at": statement.excluded.next_run_at,
                    "updated_at": statement.excluded.updated_at,
                },
            ).returning(report_schedule)
        )
    ).one()
    return row


async def get_schedule(session: AsyncSession, *, tenant_id: str, brand_id: str) -> Row[Any] | None:
    """The brand's schedule, if any."""
    return (
        await session.execute(
            select(report_schedule).where(
                report_schedule.c.tenant_id == tenant_id, report_schedule.c.brand_id == brand_id
            )
        )
    ).one_or_none()


async def delete_schedule(session: AsyncSession, *, tenant_id: str, brand_id: str) -> bool:
    """Remove the brand's schedule; whether there was one."""
    result = await session.execute(
        delete(report_schedule)
        .where(report_schedule.c.tenant_id == tenant_id, report_schedule.c.brand_id == brand_id)
        .returning(report_schedule.c.brand_id)
    )
    return result.first() is not None


async def claim_due_schedule(
    session: AsyncSession, *, now: datetime, skip: Collection[tuple[str, str]] = ()
) -> Row[Any] | None:
    """The schedule due longest, locked for this transaction; schedules another transaction
    holds are skipped (it is running them), and so are the (tenant, brand) pairs in `skip`."""
    stmt = select(report_schedule).where(report_schedule.c.next_run_at <= now)
    if skip:
        stmt = stmt.where(
            tuple_(report_schedule.c.tenant_id, report_schedule.c.brand_id).not_in(list(skip))
        )
    stmt = stmt.order_by(report_schedule.c.next_run_at).limit(1).with_for_update(skip_locked=True)
    return (await session.execute(stmt)).one_or_none()


async def advance_schedule(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    next_run_at: datetime,
    last_report_id: UUID,
    updated_at: datetime,
) -> None:
    """Record a run: the report it made and when the schedule runs next."""
    await session.execute(
        update(report_schedule)
        .where(report_schedule.c.tenant_id == tenant_id, report_schedule.c.brand_id == brand_id)
        .values(next_run_at=next_run_at, last_report_id=last_report_id, updated_at=updated_at)
    )
