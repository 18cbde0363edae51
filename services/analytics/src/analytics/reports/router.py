"""HTTP routes of reports: the CSV export, stored reports and their downloads, and each
brand's weekly schedule."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlalchemy import Row

from analytics.reports import content, csv_export, pdf_document, service
from analytics.reports.formatting import local
from analytics.reports.schemas import (
    ReportContent,
    ReportDetail,
    ReportFormat,
    ReportIn,
    ReportOrigin,
    ReportOut,
    ReportPage,
    ReportQuery,
    ScheduleIn,
    ScheduleOut,
    report_path,
)
from analytics.rollups.dimensions import Grain
from beacon_shared.auth import Principal
from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.bounds import Timestamp
from beacon_shared.db import DbSession

router = APIRouter(tags=["reports"])
READ, WRITE = "analytics:read", "analytics:write"
Reader = Annotated[Principal, Depends(require_brand_scope(READ))]
Writer = Annotated[Principal, Depends(require_brand_scope(WRITE))]
BrandPath = Annotated[str, Path(min_length=1, max_length=128, description="The brand.")]

CSV_TYPE = "text/csv; charset=utf-8"
PDF_TYPE = "application/pdf"
CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The report as one CSV table (see the Reports section of the docs).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
PDF_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The report as a PDF with charts.",
        "content": {PDF_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


class SeriesGrain(StrEnum):
    """How an export's series is cut."""

    day = "day"
    hour = "hour"


@router.get(
    "/v1/reports/export.csv",
    summary="A brand's report over a period, as CSV",
    response_class=Response,
    responses={**CSV_RESPONSE, 401: {}, 403: {}, 422: {}},
)
async def export_csv(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    brand_id: Annotated[str, Query(min_length=1, max_length=128)],
    from_: Annotated[Timestamp, Query(alias="from", description="Start, inclusive (with offset).")],
    to: Annotated[Timestamp, Query(description="End, exclusive (with offset).")],
    grain: Annotated[
        SeriesGrain, Query(description="The series' buckets: the brand's days, or UTC hours.")
    ] = SeriesGrain.day,
) -> Response:
    """The report's figures over [from, to) computed now and stored nowhere: one row per
    (section, bucket or key, metric)."""
    await brands.check(principal, READ, brand_id)
    figures = await content.build(
        session,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        start=from_,
        end=to,
        grain=Grain(grain.value),
    )
    return await _download(figures, ReportFormat.csv)


@router.post(
    "/v1/reports",
    status_code=status.HTTP_201_CREATED,
    summary="Generate and store a brand's report",
    responses={401: {}, 403: {}, 422: {}},
)
async def create_report(
    body: ReportIn, principal: Writer, brands: Brands, session: DbSession, response: Response
) -> ReportDetail:
    """Computes the report over [period_start, period_end) now and stores it; its figures
    never change afterwards. Download it at `<path>/csv` and `<path>/pdf`."""
    await brands.check(principal, WRITE, body.brand_id)
    row = await service.generate(
        session,
        tenant_id=principal.tenant_id,
        brand_id=body.brand_id,
        start=body.period_start,
        end=body.period_end,
        origin=ReportOrigin.request,
    )
    response.headers["Location"] = report_path(row.id)
    return ReportDetail.from_row(row)


@router.get(
    "/v1/reports",
    summary="List stored reports, newest first",
    responses={401: {}, 403: {}, 422: {}},
)
async def list_reports(
    query: Annotated[ReportQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> ReportPage:
    """Reports generated on request or by a schedule; filter by brand, page with `cursor`."""
    rows, next_cursor = await service.list_page(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brands=await brands_to_read(brands, principal, READ, query.brand_id),
    )
    return ReportPage(items=[ReportOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/v1/reports/{report_id}", summary="Get a stored report", responses={401: {}, 403: {}, 404: {}}
)
async def get_report(report_id: UUID, principal: Reader, session: DbSession) -> ReportDetail:
    """The report and its figures."""
    return ReportDetail.from_row(await _report(session, principal, report_id))


@router.get(
    "/v1/reports/{report_id}/csv",
    summary="Download a stored report as CSV",
    response_class=Response,
    responses={**CSV_RESPONSE, 401: {}, 403: {}, 404: {}},
)
async def get_report_csv(report_id: UUID, principal: Reader, session: DbSession) -> Response:
    """The same table as `/v1/reports/export.csv`, with the figures stored."""
    row = await _report(session, principal, report_id)
    return await _download(ReportContent.model_validate(row.content), ReportFormat.csv)


@router.get(
    "/v1/reports/{report_id}/pdf",
    summary="Download a stored report as PDF",
    response_class=Response,
    responses={**PDF_RESPONSE, 401: {}, 403: {}, 404: {}},
)
async def get_report_pdf(report_id: UUID, principal: Reader, session: DbSession) -> Response:
    """Title, headline figures against the previous period, charts of the days and the
    networks, top posts and authors, and the ROI of the brand's campaigns."""
    row = await _report(session, principal, report_id)
    return await _download(ReportContent.model_validate(row.content), ReportFormat.pdf)


@router.put(
    "/v1/brands/{brand_id}/report-schedule",
    summary="Send the brand's report every week",
    responses={401: {}, 403: {}, 422: {}},
)
async def put_schedule(
    brand_id: BrandPath, body: ScheduleIn, principal: Writer, brands: Brands, session: DbSession
) -> ScheduleOut:
    """At `hour`:00 on `weekday`, in the brand's time zone, the report of the last full week
    (Monday to Sunday) is generated, stored and announced as `report.generated`."""
    await brands.check(principal, WRITE, brand_id)
    return await service.put_schedule(
        session, tenant_id=principal.tenant_id, brand_id=brand_id, body=body
    )


@router.get(
    "/v1/brands/{brand_id}/report-schedule",
    summary="The brand's weekly report schedule",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_schedule(
    brand_id: BrandPath, principal: Reader, brands: Brands, session: DbSession
) -> ScheduleOut:
    """When the brand's next weekly report is due."""
    await brands.check(principal, READ, brand_id)
    return await service.get_schedule(session, tenant_id=principal.tenant_id, brand_id=brand_id)


@router.delete(
    "/v1/brands/{brand_id}/report-schedule",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop the brand's weekly reports",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def delete_schedule(
    brand_id: BrandPath, principal: Writer, brands: Brands, session: DbSession
) -> None:
    """Reports already made stay."""
    await brands.check(principal, WRITE, brand_id)
    await service.delete_schedule(session, tenant_id=principal.tenant_id, brand_id=brand_id)


async def _report(session: DbSession, principal: Principal, report_id: UUID) -> Row[Any]:
    """The report, unless it is of a brand the credential may not read (then not found)."""
    return await service.get(
        session,
        tenant_id=principal.tenant_id,
        report_id=report_id,
        brands=principal.brands_for(READ),
    )


async def _download(figures: ReportContent, kind: ReportFormat) -> Response:
    if kind is ReportFormat.csv:
        body, media_type = csv_export.render(figures).encode(), CSV_TYPE
    else:
        # Drawing a PDF takes tens of milliseconds of CPU: not on the event loop.
        body, media_type = await asyncio.to_thread(pdf_document.render, figures), PDF_TYPE
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{_filename(figures, kind)}"'},
    )


def _filename(figures: ReportContent, kind: ReportFormat) -> str:
    """`report-<brand>-<first day>-<last day>.<format>`, days in the brand's zone, ASCII only."""
    first = local(figures.period_start, figures.timezone).date()
    last = local(figures.period_end - timedelta(microseconds=1), figures.timezone).date()
    brand = re.sub(r"[^A-Za-z0-9._-]+", "_", figures.brand_id)[:64]
    return f"report-{brand}-{first}-{last}.{kind.value}"
