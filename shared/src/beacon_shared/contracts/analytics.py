"""Events published by analytics."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from beacon_shared.contracts.common import ErasureOutcome
from beacon_shared.events import EventPayload


class AlertKind(StrEnum):
    """What spiked against the brand's own baseline."""

    negative_sentiment = "negative_sentiment"
    mention_volume = "mention_volume"


class AlertRaised(EventPayload):
    """A bad buzz: a metric of the brand left its baseline. Open until an AlertResolved."""

    event_type = "analytics.alert.raised"
    topic = "alert.raised"

    alert_id: UUID
    brand_id: str
    kind: AlertKind
    value: float = Field(description="The metric in the window that raised it.")
    baseline: float = Field(description="The brand's expected value for that window.")
    score: float = Field(description="How far above the baseline, in standard deviations.")
    window_start: datetime
    window_end: datetime
    raised_at: datetime


class AlertResolved(EventPayload):
    """The metric came back to the brand's baseline (or a person closed the alert)."""

    event_type = "analytics.alert.resolved"
    topic = "alert.resolved"

    alert_id: UUID
    brand_id: str
    kind: AlertKind
    resolved_by: str = Field(description="`baseline`, or who closed it: `user:<id>` or `key:<id>`.")
    resolved_at: datetime


class ReportGenerated(EventPayload):
    """A scheduled report is ready to download."""

    event_type = "analytics.report.generated"
    topic = "report.generated"

    report_id: UUID
    brand_id: str
    period_start: datetime
    period_end: datetime
    formats: list[str] = Field(description="csv, pdf.")
    path: str = Field(description="Where the analytics API serves it, e.g. /v1/reports/{id}.")
    generated_at: datetime


class ErasureCompleted(EventPayload, ErasureOutcome):
    """Analytics erased an author's own rollup rows; the brand's totals they counted in stay."""

    event_type = "analytics.erasure.completed"
    topic = "erasure.completed"
