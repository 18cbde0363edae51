"""HTTP models of the alerts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from analytics.alerts.models import AlertStatus
from beacon_shared.contracts.analytics import AlertKind
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT


class AlertQuery(BaseModel):
    """Filters and paging of the alert list."""

    model_config = ConfigDict(extra="forbid")

    status: AlertStatus | None = Field(
        default=None, description="open or resolved; both if absent."
    )
    brand_id: str | None = Field(default=None, max_length=128)
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class AlertOut(BaseModel):
    """A bad-buzz alert: the window that raised it, and how it ended."""

    id: UUID
    brand_id: str
    kind: AlertKind
    status: AlertStatus
    value: float = Field(description="The count of the window that raised it.")
    baseline: float = Field(description="What the brand's baseline expected for that window.")
    score: float = Field(description="How far above the baseline, in standard deviations.")
    window_start: datetime
    window_end: datetime
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None = Field(
        description="`baseline`, or who closed it: `user:<id>` or `key:<id>`; null while open."
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> AlertOut:
        """From an `alert` row."""
        return cls.model_validate(dict(row._mapping))


class AlertPage(BaseModel):
    """One page of alerts, newest first."""

    items: list[AlertOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
