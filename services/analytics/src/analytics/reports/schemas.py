"""HTTP models of reports: the content of a report, stored reports and weekly schedules."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from analytics.reports.weeks import Weekday
from analytics.roi.schemas import CampaignReturnsOut
from analytics.rollups.dimensions import Grain
from analytics.rollups.schemas import RankedAuthor, RankedPost, Value
from beacon_shared.bounds import Timestamp
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT


class ReportFormat(StrEnum):
    """A download of a stored report, served at `<path>/<format>`."""

    csv = "csv"
    pdf = "pdf"


class ReportOrigin(StrEnum):
    """What generated a report."""

    request = "request"
    schedule = "schedule"


class FigureLine(BaseModel):
    """One headline figure over the period, and over the period of the same length before."""

    metric: str = Field(description="The metric's name in the catalogue (/v1/analytics/metrics).")
    label: str
    current: Value
    previous: Value
    change: float | None = Field(
        description="(current - previous) / |previous|; null when previous is zero or unknown."
    )
    basis: str | None = Field(
        default=None, description="For ratios: the denominator used, e.g. `impressions`."
    )


class SeriesPoint(BaseModel):
    """The series metrics of one bucket (every bucket of the period, empty ones as 0)."""

    bucket_start: datetime
    values: dict[str, Value]


class NetworkLine(BaseModel):
    """The network metrics of one network."""

    network: str
    values: dict[str, Value]


class ReportContent(BaseModel):
    """Everything a report shows, computed from the rollups and the ROI tables."""

    brand_id: str
    timezone: str = Field(description="The brand's IANA zone, whose days the series counts.")
    period_start: datetime
    period_end: datetime
    previous_start: datetime
    previous_end: datetime
    grain: Grain = Field(description="The series' buckets: `day` (local days) or `hour`.")
    summary: list[FigureLine]
    series_metrics: list[str]
    series: list[SeriesPoint]
    network_metrics: list[str]
    networks: list[NetworkLine] = Field(description="Per network, most interactions first.")
    top_posts: list[RankedPost] = Field(description="Posts published through Beacon.")
    top_authors: list[RankedAuthor]
    roi_first_day: date = Field(description="ROI counts conversions of UTC days from this one…")
    roi_last_day: date = Field(description="…to this one, both included.")
    campaigns: list[CampaignReturnsOut] = Field(description="ROI of the brand's campaigns.")


class ReportIn(BaseModel):
    """A report to generate now."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str = Field(min_length=1, max_length=128)
    period_start: Timestamp = Field(description="Start, inclusive (with offset).")
    period_end: Timestamp = Field(description="End, exclusive (with offset).")


class ReportOut(BaseModel):
    """A stored report and where to download it."""

    id: UUID
    brand_id: str
    period_start: datetime
    period_end: datetime
    timezone: str
    origin: ReportOrigin
    generated_at: datetime
    formats: list[ReportFormat]
    path: str = Field(description="The report; its files are at `<path>/csv` and `<path>/pdf`.")

    @classmethod
    def from_row(cls, row: Row[Any]) -> ReportOut:
        """From a `report` row."""
        return cls(**_report_fields(row))


class ReportDetail(ReportOut):
    """A stored report with its figures."""

    content: ReportContent

    @classmethod
    def from_row(cls, row: Row[Any]) -> ReportDetail:
        """From a `report` row, content included."""
        return cls(**_report_fields(row), content=ReportContent.model_validate(row.content))


class ReportQuery(BaseModel):
    """Filters and paging of the report list."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, max_length=128)
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ReportPage(BaseModel):
    """One page of reports, newest first."""

    items: list[ReportOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ScheduleIn(BaseModel):
    """When the weekly report is generated, in the brand's local time."""

    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    # Strict: JSON `true` is not hour 1.
    hour: int = Field(strict=True, ge=0, le=23, description="Local hour, 0 to 23.")


class ScheduleOut(BaseModel):
    """A brand's weekly report schedule."""

    brand_id: str
    weekday: Weekday
    hour: int
    timezone: str = Field(description="The brand's zone, whose wall time the schedule follows.")
    next_run_at: datetime
    last_report_id: UUID | None = Field(description="The last report it generated, if any.")
    created_at: datetime
    updated_at: datetime


def report_path(report_id: UUID) -> str:
    """Where the API serves a stored report."""
    return f"/v1/reports/{report_id}"


def _report_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "brand_id": row.brand_id,
        "period_start": row.period_start,
        "period_end": row.period_end,
        "timezone": row.timezone,
        "origin": ReportOrigin(row.origin),
        "generated_at": row.generated_at,
        "formats": list(ReportFormat),
        "path": report_path(row.id),
    }
